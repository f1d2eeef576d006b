# Consts alone measure nothing.
const K1 = 20;
