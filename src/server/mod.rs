//! The runtime: the only code that touches sockets, clocks and disks.
//! (Stub: filled in by the server work.)
