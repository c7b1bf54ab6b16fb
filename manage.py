#!/usr/bin/env python
from followthrough.cli import main

if __name__ == "__main__":
    main()
