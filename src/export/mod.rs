//! Documents drawn from stored data, for files and the web: the strategy map as SVG, DOT
//! (Graphviz) and JSON. Pure functions of what they are given; no I/O.

pub mod map;
