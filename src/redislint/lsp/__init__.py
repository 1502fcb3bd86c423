"""`redislint server`: the language server (pygls), and the editor-independent parts.

`session.py` and `positions.py` import nothing from pygls, so they are tested and
benchmarked directly; `server.py` wires them to the protocol and is imported only by
the `server` command (`redislint check` never loads pygls).
"""
