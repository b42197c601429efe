"""What the client conformance scripts share: one check per line, a stop at the first
failure (naming the check, or the last one that passed for an error no check expected)."""
import sys

last = "connecting"


def check(name, ok, detail=""):
    global last
    if not ok:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    print(f"ok {name}")
    last = name


def unexpected(kind, value, tb):
    """An error no check expected: named with the check it followed, then the traceback."""
    print(f"FAIL after '{last}': {kind.__name__}: {value}")
    sys.__excepthook__(kind, value, tb)
    sys.exit(1)


sys.excepthook = unexpected


def raises(call, kind, text=""):
    """(True, ...) when call raises kind with text in its message."""
    try:
        got = call()
    except kind as e:
        return text in str(e), f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 - reported as the wrong error
        return False, f"{type(e).__name__}: {e}"
    return False, f"no error, returned {got!r}"
