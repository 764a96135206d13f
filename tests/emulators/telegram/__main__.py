"""Run the Telegram Bot API emulator by hand: ``python -m tests.emulators.telegram --port 8091``."""

from __future__ import annotations

import argparse
import time

from tests.emulators.telegram.server import Bot, BotApiServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--token", default="123456789:AAEmulatorTokenForTheBotApi0123456")
    parser.add_argument("--chat", action="append", default=["-1001234567890"], help="a chat the bot is in")
    args = parser.parse_args()
    bot = Bot(token=args.token, chats=set(args.chat))
    server = BotApiServer(bot, port=args.port).start()
    print(f"CRM_TELEGRAM_API_URL={server.base_url}  token {args.token}  chats {', '.join(args.chat)}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
