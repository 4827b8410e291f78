#pragma once
// Key files on disk. A key pair is two text files: NAME.key holds the
// public key (give it to whoever enrolls it), NAME.key_secret holds both
// keys, mode 0600, and never leaves the machine it belongs to:
//
//   # stationsync CURVE public key: gun PDA-0042
//   public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
//
// A secret file readable by group or others is refused (RELIABILITY.md
// T16): whoever reads it can speak as that gun or station.

#include <string>

#include "security/curve_key.h"

namespace station::security {

// Writes PATH.key and PATH.key_secret for `pair`, with `label` (e.g. "gun
// PDA-0042") in their first comment line. Refuses to overwrite either file.
Status WriteKeyFiles(const std::string& path, const CurveKeyPair& pair, const std::string& label);

// A public key given on the command line: the 40 Z85 characters themselves,
// or the path of a .key (or .key_secret) file holding "public-key = ...".
Result<std::string> ReadPublicKey(const std::string& file_or_key);

// The key pair in a .key_secret file. kInvalidArgument when the file is
// readable by group or others, holds no secret key, or its public key does
// not belong to its secret key.
Result<CurveKeyPair> ReadSecretKeyFile(const std::string& path);

// A daemon's own key pair DIR/NAME.key_secret, created with DIR (mode 0700)
// on first start. `created` says whether it was made now.
Result<CurveKeyPair> LoadOrCreateKeyPair(const std::string& dir, const std::string& name, const std::string& label,
                                         bool* created);

}  // namespace station::security
