import sys

from bench.live_load.run import main

sys.exit(main())
