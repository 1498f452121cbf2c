"""The `crestwatch` command line (`pipeline.cli.app`), its commands and shared helpers."""
