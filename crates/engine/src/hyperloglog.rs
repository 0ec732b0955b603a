//! HyperLogLog: PFADD, PFCOUNT, PFMERGE in Redis's HLL format (skeleton: to be built out).
