import sys

from bench.storyboard.run import main

sys.exit(main())
