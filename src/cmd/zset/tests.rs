//! Sorted-set commands end to end.
