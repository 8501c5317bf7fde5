"""``sendTestPage`` over HTTP: the viewer's reachable HIGH channels are queued as a test page that
the server's worker delivers (to the console transport here); signed out it is refused. And
``removeDevice(id)``: my devices only."""

from __future__ import annotations


from pagerline.models import Notification, NotificationStatus
from tests.support.polling import wait_until
from tests.support.graphql import World, gql, in_db


def test_send_test_page_queues_and_delivers(world: World) -> None:
    org = world.ops
    assert gql(world.url, org.alice_token, "mutation { sendTestPage }")["data"]["sendTestPage"] == 1  # push only: no phone

    async def statuses() -> list[tuple[str, NotificationStatus]]:
        return [(n.title, n.status) for n in await Notification.filter(user_id=org.alice_id, dedup_key__startswith="test:")]

    def sent() -> list[tuple[str, NotificationStatus]] | None:  # the server's worker delivers it
        found = in_db(world.database_url, statuses)
        return found if found and found[0][1] is NotificationStatus.SENT else None

    assert wait_until(sent, timeout=10, what="the test page sent") == [("Test page from pagerline", NotificationStatus.SENT)]

    refused = gql(world.url, None, "mutation { sendTestPage }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_remove_device_by_id_mine_only(world: World) -> None:
    org = world.ops
    mine = "{ myDevices { id } }"
    [alice_device] = gql(world.url, org.alice_token, mine)["data"]["myDevices"]
    denied = gql(world.url, org.bob_token, "mutation($id: ID!) { removeDevice(id: $id) }", id=alice_device["id"])
    assert denied["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert gql(world.url, org.alice_token, mine)["data"]["myDevices"] == [alice_device]
    assert gql(world.url, org.alice_token, "mutation($id: ID!) { removeDevice(id: $id) }", id=alice_device["id"])["data"]["removeDevice"] is True
    assert gql(world.url, org.alice_token, mine)["data"]["myDevices"] == []
