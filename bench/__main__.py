"""``python -m bench [NAME ...]``: run the benchmarks and rewrite docs/performance.md."""

import sys

from bench import main

sys.exit(main())
