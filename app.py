"""``python app.py [--index DIR] [--host H] [--port P] [--auth USER:PASSWORD] [--backend B] [--no-browser]``.

The same server as ``mathtutor serve``: the web UI on 127.0.0.1 by default.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # runs from a plain checkout too

from mathtutor.apps.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
