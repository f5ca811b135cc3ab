# Cap'n Proto schema of one snapshot chunk (framing and file layout: docs/snapshot_format.md).
# Evolve by appending fields with new ordinals only; a reader rejects a union member it does not know.
@0xafc1c0cddc8fd51c;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tally::snapshot::schema");

struct SnapshotChunk {
  union {
    # Each element is one WAL payload byte for byte: a flat-array WalRecord message (wal/wal_record.capnp),
    # in log order. Copied, never re-encoded, and decoded by the same validating decoder as the WAL.
    records @0 :List(Data);
    # Last chunk of every complete snapshot.
    footer @1 :SnapshotFooter;
  }
}

struct SnapshotFooter {
  coveredSegment @0 :UInt64;   # equals the header's covered position
  coveredOffset @1 :UInt64;
  records @2 :UInt64;          # = users + transactions + userUpdates
  users @3 :UInt64;
  transactions @4 :UInt64;
  recordChunks @5 :UInt64;     # chunks before the footer
  userUpdates @6 :UInt64;      # UserUpdated records (0 in snapshots of older builds, which had none)
}
