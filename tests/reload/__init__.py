"""Live reload in one process (gateway/reload.py), driven from outside: real processes."""
