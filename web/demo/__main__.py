"""``python -m web.demo --db PATH [--fresh]`` (the first step of ``make run``)."""

from web.demo import main

raise SystemExit(main())
