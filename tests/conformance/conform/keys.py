"""CURVE key pairs and the key files of docs/protocol.md "Security" (read and written here)."""

import os
import re

import zmq

_LINE = re.compile(r'^\s*([a-z-]+)\s*=\s*"?([^"]*)"?\s*$')


def read_key_file(path):
    """Returns {'public-key': ..., 'secret-key': ...} from a key file ('#' lines are comments)."""
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.lstrip().startswith("#") or not line.strip():
                continue
            m = _LINE.match(line)
            if m:
                values[m.group(1)] = m.group(2)
    return values


def public_key(path_or_text):
    """A public key given as a .key file or as its 40-character text."""
    if len(path_or_text) == 40 and not os.path.exists(path_or_text):
        return path_or_text
    return read_key_file(path_or_text)["public-key"]


class KeyPair:
    """A long-term key pair as Z85 text."""

    def __init__(self, public, secret):
        self.public = public
        self.secret = secret

    @classmethod
    def new(cls):
        public, secret = zmq.curve_keypair()
        return cls(public.decode(), secret.decode())

    @classmethod
    def from_secret_file(cls, path):
        values = read_key_file(path)
        return cls(values["public-key"], values["secret-key"])

    def write(self, folder, name, role):
        """Writes NAME.key and NAME.key_secret (mode 0600) in the documented format."""
        os.makedirs(folder, exist_ok=True)
        public_path = os.path.join(folder, name + ".key")
        with open(public_path, "w", encoding="utf-8") as f:
            f.write(f"# stationsync CURVE public key: {role} {name}\n")
            f.write(f'public-key = "{self.public}"\n')
        secret_path = os.path.join(folder, name + ".key_secret")
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"# stationsync CURVE secret key: {role} {name}\n")
            f.write(f'public-key = "{self.public}"\n')
            f.write(f'secret-key = "{self.secret}"\n')
        return public_path, secret_path


def make_client(socket, keys, server_public):
    """Makes `socket` a CURVE client of the server whose public key is pinned."""
    socket.curve_serverkey = server_public.encode()
    socket.curve_publickey = keys.public.encode()
    socket.curve_secretkey = keys.secret.encode()


def make_server(socket, keys):
    """Makes `socket` a CURVE server (no ZAP handler here: every client key is let in)."""
    socket.curve_server = True
    socket.curve_secretkey = keys.secret.encode()
    socket.curve_publickey = keys.public.encode()
