"""Values known only once the whole template is (aws-cdk-lib's ``Lazy`` producers)."""

from __future__ import annotations

from typing import Callable

import jsii
from aws_cdk import IStableListProducer, IStableStringProducer


@jsii.implements(IStableStringProducer)
class LazyText:
    """A string known once the whole template is: ``Lazy.string(LazyText(produce))``."""

    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


@jsii.implements(IStableListProducer)
class LazyList:
    """A list known once the whole template is: ``Lazy.list(LazyList(produce))``."""

    def __init__(self, produce: Callable[[], list[str]]) -> None:
        self._produce = produce

    def produce(self) -> list[str]:
        return self._produce()
