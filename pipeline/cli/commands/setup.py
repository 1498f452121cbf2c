"""`crestwatch setup`: Elasticsearch index templates and indices, and the Kibana objects."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.common import ConfigOption, config_or_exit, err


def register(app: typer.Typer) -> None:
    app.command(name="setup")(setup)


def setup(
    config: ConfigOption = None,
    es_url: Annotated[str | None, typer.Option(help="Elasticsearch URL.")] = None,
    kibana_url: Annotated[
        str | None, typer.Option(help="Also install the Kibana data views, searches, "
                                 "dashboards, e-mail connector and alert rules.")
    ] = None,
    kibana_space: Annotated[str | None, typer.Option(help="Kibana space (default space if "
                                                      "not given).")] = None,
    skip_elasticsearch: Annotated[bool, typer.Option(help="Only the Kibana part.")] = False,
) -> None:
    """Create the Elasticsearch index templates and indices, and the Kibana objects
    (safe to run again: everything is created or updated in place)."""
    from pipeline.cli.common import open_store_or_exit

    cfg = config_or_exit(config)
    if not skip_elasticsearch:
        with open_store_or_exit(cfg, backend="elasticsearch", url=es_url):
            pass
        err.print("Elasticsearch templates and indices are in place.")
    if kibana_url:
        from dashboards.kibana_api import KibanaError, install

        try:
            report = install(cfg, kibana_url, space=kibana_space)
        except KibanaError as exc:
            err.print(f"[red]Kibana: {exc}[/red]", highlight=False)
            raise typer.Exit(1) from None
        err.print(f"Kibana: {report.imported} saved objects imported; e-mail connector "
                  f"{report.connector}; rules: "
                  + (", ".join(f"{n} {o}" for n, o in report.rules.items()) or "none"))
