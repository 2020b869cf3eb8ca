"""reviewflow's engine: definitions, runtime and storage. No web framework below here."""

from engine.definitions.library import check_library, load_library
from engine.errors import DefinitionError, Problem

__all__ = ["DefinitionError", "Problem", "check_library", "load_library"]
