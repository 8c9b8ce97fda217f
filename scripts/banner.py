"""Print where things are after `make run` starts (used by the Makefile)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.config import instance_dir  # (the checkout's app: this runs as a script)

port = os.environ.get("PORT", "8000")
base = f"http://127.0.0.1:{port}"
password_file = instance_dir() / "demo_password"
password = password_file.read_text().strip() if password_file.exists() else "(see users create)"
twilio = bool(os.environ.get("TWILIO_AUTH_TOKEN"))
print(
    f"""
Kanava is starting on {base}
  phone simulator  {base + "/simulator/" if not twilio else "(off: Twilio is configured)"}
  web form         {base}/p/101   (the QR code on zone 101's sign: {base}/p/101/sign.pdf)
  admin panel      {base}/admin/
  handheld API     {base}/api/v1/plates/ABC-123   (token: flask --app wsgi tokens create NAME)
  demo login       demo / {password}   (for the panel)
  health           {base}/healthz
Commands in this checkout (e.g. flask --app wsgi jobs tick) link to {base} too.
Stop with Ctrl-C.
""",
    flush=True,
)
