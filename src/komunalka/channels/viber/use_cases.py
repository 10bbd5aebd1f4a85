"""The use cases this door calls, and nothing else: the composition root (bootstrap) gives it
this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.notifications.reachable_again import MarkUnreachable, ReachableAgain
from komunalka.application.readings.media import FetchPicture, PublishPicture


@dataclass(frozen=True, slots=True)
class ViberUseCases:
    """The Viber door's own (pictures are sent as URLs; who left and came back, for
    reminders); the conversation has its own set."""

    fetch_picture: FetchPicture
    mark_unreachable: MarkUnreachable
    publish_picture: PublishPicture
    reachable_again: ReachableAgain
