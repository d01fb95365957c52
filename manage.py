#!/usr/bin/env python
from liangxian.__main__ import main

if __name__ == "__main__":
    main()
