"""``appeals simulate feedback-platform|incident-management``: fake sources for tests and demo
(``--scenario outage``: a burst main, app/tools/simulators/outage.py)."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn

from app.config import get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.tools.simulators.common import Pusher


class Scenario(StrEnum):
    steady = "steady"  # random items at --rate, --count of them (0: forever)
    outage = "outage"  # a burst main: a district without water (app/tools/simulators/outage.py)


class SimulatedSource(StrEnum):
    feedback_platform = "feedback-platform"
    incident_management = "incident-management"
    sstu = "sstu"  # ССТУ.РФ's upload endpoint: it only receives


cli = typer.Typer()


@cli.command()
def simulate(
    source: Annotated[
        SimulatedSource, typer.Argument(help="feedback-platform, incident-management or sstu")
    ],
    target: Annotated[
        str | None, typer.Option(help="The hub's webhook URL to push to; none: serve only")
    ] = None,
    hub: Annotated[
        str | None,
        typer.Option(
            envvar="APPEALS_DEMO_API_URL",
            help="The hub's base URL; the source's webhook path is added (when no --target)",
        ),
    ] = None,
    rate: Annotated[float, typer.Option(help="Deliveries per second")] = 1.0,
    secret: Annotated[str | None, typer.Option(help="whsec_… signing the pushes")] = None,
    outbound_secret: Annotated[
        str | None, typer.Option(help="whsec_… the hub signs answers with (default: --secret)")
    ] = None,
    port: int = 9101,
    host: str = "127.0.0.1",
    count: Annotated[int, typer.Option(help="Items to push; 0 = forever")] = 0,
    seed: Annotated[int | None, typer.Option(help="Random seed for reproducible runs")] = None,
    scenario: Annotated[
        Scenario,
        typer.Option(
            help="steady: random items at --rate; outage: a district without water, dozens "
            "of reports from its houses over an hour mixed with background (plays once)"
        ),
    ] = Scenario.steady,
    speed: Annotated[
        float, typer.Option(help="outage: scenario minutes per real minute (60: the hour in 1 min)")
    ] = 1.0,
    outage_size: Annotated[int, typer.Option(help="outage: reports about the outage")] = 30,
    background: Annotated[
        int, typer.Option(help="outage: ordinary items over the same hour (other problems/areas)")
    ] = 20,
    outage_district: Annotated[
        str | None, typer.Option(help="outage: the district's code (default: most streets)")
    ] = None,
) -> None:
    """Run a fake ПОС or IM: push realistic signed items and serve what the hub calls back;
    or a fake ССТУ.РФ upload endpoint (`sstu`, token: APPEALS_SSTU_TOKEN), which only receives.

    Example: appeals simulate feedback-platform --port 9101 --rate 2 --secret whsec_…
    --target http://127.0.0.1:8000/api/v1/webhooks/feedback-platform

    The outage (docs/INCIDENTS.md): appeals simulate incident-management --scenario outage
    --speed 60 --hub http://127.0.0.1:8000 --port 9112 --secret whsec_… plays an hour of a
    burst main in a minute; `GET /simulator/scenario` tells which items were the outage's.
    """
    # lazy: the fake sources load fastapi and httpx, 0.4 s on every `appeals` start
    from app.tools.simulators import feedback_platform, incident_management
    from app.tools.simulators import sstu as sstu_simulator

    if source == SimulatedSource.sstu:
        sstu_app, _ = sstu_simulator.build_app(token=get_settings().sstu_token)
        uvicorn.run(sstu_app, host=host, port=port, log_level="warning", log_config=None)
        return

    pos = source == SimulatedSource.feedback_platform
    if target is None and hub:
        target = hub.rstrip("/") + f"/api/v1/webhooks/{source.value}"
    secret, outbound_secret = _signing_secrets(pos, secret, outbound_secret)
    builder = feedback_platform.build_app if pos else incident_management.build_app
    plan = None
    if scenario == Scenario.outage:
        from app.tools.simulators import outage
        from app.tools.simulators.content import load_city
        from app.tools.simulators.outage import OutagePlan

        plan = OutagePlan(outage_district, outage_size, background, speed=speed)
        try:
            outage.outage_district(load_city(), outage_district)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--outage-district") from exc
    app, _, pusher = builder(
        target=target,
        secret=secret,
        outbound_secret=outbound_secret or secret,
        rate=rate,
        seed=seed,
        scenario=plan,
    )
    asyncio.run(_serve_and_push(app, pusher, host=host, port=port, count=count))


def _signing_secrets(
    pos: bool, secret: str | None, outbound_secret: str | None
) -> tuple[str | None, str | None]:
    """(signing secret, outbound secret): the given ones, else those the hub is configured with."""
    settings = get_settings()
    # Without --secret, sign with the first secret the hub accepts (one laptop, one config).
    inbound = (
        settings.feedback_platform_webhook_secrets
        if pos
        else settings.incident_management_webhook_secrets
    )
    secret = secret or (inbound[0] if inbound else None)
    outbound_secret = outbound_secret or (
        settings.feedback_platform_outbound_secret
        if pos
        else settings.incident_management_outbound_secret
    )
    return secret, outbound_secret


async def _serve_and_push(
    app: FastAPI, pusher: Pusher, *, host: str, port: int, count: int
) -> None:
    """Serve the fake source; once it is up, push ``count`` items (0: forever) to the hub."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn has no event)
        await asyncio.sleep(0.05)
    play = getattr(app.state, "play", None)
    player = play() if play is not None else pusher.run(app.state.script, count=count)
    pushing = asyncio.create_task(player)
    await serving
    pushing.cancel()
