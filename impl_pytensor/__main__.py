"""python -m impl_pytensor: train the blog's network and print its error as the blog does."""
from compare.problem import blog_demo
from impl_pytensor import train

blog_demo(train)
