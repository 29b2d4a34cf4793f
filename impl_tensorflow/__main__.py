"""python -m impl_tensorflow: train the blog's network and print its error as the blog does."""
from compare.problem import blog_demo
from impl_tensorflow import train

blog_demo(train)
