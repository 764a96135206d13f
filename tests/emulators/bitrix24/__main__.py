"""Run the emulator by hand: ``python -m tests.emulators.bitrix24 --port 8090 --seed 1``."""

from __future__ import annotations

import argparse
import contextlib

from tests.emulators.bitrix24 import Portal, dataset, running


def main() -> None:
    parser = argparse.ArgumentParser(description="Bitrix24 portal emulator")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--companies", type=int, default=300)
    parser.add_argument("--deals", type=int, default=None)
    parser.add_argument("--activities", type=int, default=None)
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--rate", type=float, default=2.0, help="requests per second drained from the bucket")
    parser.add_argument("--bucket", type=float, default=50.0)
    args = parser.parse_args()
    sizes = {k: getattr(args, k) for k in ("deals", "activities", "calls") if getattr(args, k) is not None}
    portal = Portal(dataset(args.seed, companies=args.companies, **sizes), rate=args.rate, bucket=args.bucket)
    tokens = portal.issue_tokens()
    with running(portal, port=args.port) as server:
        print(f"Bitrix24 emulator on {server.base_url}", flush=True)
        print(f"  webhook:         {server.webhook_url}")
        print(f"  local app:       client_id={portal.client_id} client_secret={portal.client_secret}")
        print(f"  client_endpoint: {server.client_endpoint}  oauth: {server.oauth_url}")
        print(f"  access_token={tokens['access_token']} refresh_token={tokens['refresh_token']}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.thread.join()  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
