import multiprocessing
import sys

from hwr_desktop.cli import main

if __name__ == "__main__":   # worker processes (spawned to make line-reader examples) import this too
    multiprocessing.freeze_support()
    sys.exit(main())
