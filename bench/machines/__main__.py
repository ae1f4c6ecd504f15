import sys

from bench.machines.run import main

sys.exit(main())
