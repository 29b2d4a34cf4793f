"""Stand-ins without the sigmoid (linear networks), whose training a large learning rate blows up to inf, then NaN.

The blog's sigmoid network cannot diverge so: the sigmoid bounds the loss at rows/2, and saturated units have a
gradient of exactly 0. These give the divergence verdict something real to find, in two frameworks alike.
"""
