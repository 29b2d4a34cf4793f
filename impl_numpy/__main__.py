"""python -m impl_numpy: train the blog's network and print its error as the blog does."""
from compare.problem import blog_demo
from impl_numpy import train

blog_demo(train)
