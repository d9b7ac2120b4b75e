import sys

from hwr_desktop.cli import main

sys.exit(main())
