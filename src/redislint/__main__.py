"""`python -m redislint`.

`-m` puts the working directory first on `sys.path`, so a `click.py` or `json.py` in the
checked project would be imported instead of the real module. It is dropped before
anything else is imported (`python -P -m redislint` does the same on Python 3.11+).
"""

import os
import sys

if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from redislint.launch import main

if __name__ == "__main__":
    main()
