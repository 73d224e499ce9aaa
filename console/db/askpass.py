"""SSH_ASKPASS helper run by ``ssh`` for the tunnel (a standalone script: no console imports).

It answers a key-passphrase prompt with the passphrase the console holds in memory
for this session (handed over in the ssh process's environment, never on disk).
Any other prompt (a password, a passphrase the console does not have) is refused and
reported on stderr with a marker the tunnel recognises, so the console can ask.
"""

import os
import sys

MARKER = "autopr-askpass:"
ENV_PASSPHRASE = "AUTOPR_SSH_PASSPHRASE"
ENV_MODE = "AUTOPR_ASKPASS"  # the frozen app runs as this helper when it is set to 1


def main() -> int:
    prompt = sys.argv[1] if len(sys.argv) > 1 else ""
    secret = os.environ.get(ENV_PASSPHRASE)
    if secret is not None and "passphrase" in prompt.lower():
        sys.stderr.write(f"{MARKER} given {prompt.strip()}\n")  # a later refusal: it was wrong
        sys.stdout.write(secret + "\n")
        return 0
    sys.stderr.write(f"{MARKER} refused {prompt.strip()}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
