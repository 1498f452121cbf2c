"""The `crestwatch` commands, one module each with `register(app)`; pipeline/cli/app.py lists
them."""
