"""CLI commands beyond run/scan/setup. Each module here defines `register(app: typer.Typer)`;
pipeline/cli.py imports them all, so adding a command never edits a shared file."""
