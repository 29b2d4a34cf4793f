"""python -m impl_jax: train the blog's network and print its error as the blog does."""
from compare.problem import blog_demo
from impl_jax import train

blog_demo(train)
