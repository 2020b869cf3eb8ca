"""reviewflow's engine: definitions, runtime and storage. No web framework below here."""
