"""Cyclic garbage is collected on the GUI thread while a window is open (ui/gui_gc.py)."""
import gc
import weakref

from hwr_desktop.ui import gui_gc


class Node:
    pass


def test_collection_is_the_gui_threads_while_held(qapp):
    gui_gc.hold()
    try:
        assert not gc.isenabled()                   # no collection can start in a worker thread
        a, b = Node(), Node()
        a.other, b.other = b, a                     # a cycle: only the collector frees it
        gone = weakref.ref(a)
        del a, b
        for _ in range(gc.get_threshold()[0] + 1):  # enough allocations to cross the threshold
            Node()
        young = [Node() for _ in range(gc.get_threshold()[0] + 1)]
        assert gone() is not None                   # nothing collected it behind the timer's back
        gui_gc.collect()                            # what the timer does on the GUI thread
        assert gone() is None
        del young
    finally:
        gui_gc.release()
    assert gc.isenabled() == (gui_gc._holders == 0)   # the last holder gives it back


def test_a_window_holds_collection_until_it_closes(window):
    holders = gui_gc._holders
    assert not gc.isenabled() and holders >= 1
    window.close()
    assert gui_gc._holders == holders - 1 and gc.isenabled() == (gui_gc._holders == 0)


def test_no_collection_while_paused_then_at_the_next_tick(qapp):
    gui_gc.hold()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        young = [Node() for _ in range(gc.get_threshold()[0] + 1)]
        with gui_gc.paused():                       # an export converting its model
            gui_gc.collect()
            assert gone() is not None               # the timer's tick collected nothing
        gui_gc.collect()
        assert gone() is None                       # the next tick after the pause does
        del young
    finally:
        gui_gc.release()


def test_a_pause_also_stops_automatic_collection_without_a_window(qapp):
    assert gc.isenabled() == (gui_gc._holders == 0)
    with gui_gc.paused():
        assert not gc.isenabled()                   # no collection in any thread during a conversion
        with gui_gc.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()                   # nested: still paused
    assert gc.isenabled() == (gui_gc._holders == 0)


def test_the_timer_ticks_faster_while_objects_pile_up_and_slows_when_they_stop(qapp):
    # A collection's pause grows with the young objects it scans: during TensorFlow's import on a
    # worker a 1 s tick found 244,000 of them and froze the GUI thread 81 ms (issue 30).
    gui_gc.hold()
    try:
        timer = gui_gc._timer
        assert timer.interval() == gui_gc.IDLE_INTERVAL_MS
        young = [Node() for _ in range(gui_gc.BUSY_YOUNG + 1)]    # tracked objects the count sees
        gui_gc.collect()
        assert timer.interval() == gui_gc.BUSY_INTERVAL_MS < gui_gc.IDLE_INTERVAL_MS
        gui_gc.collect()                                         # nothing new since: back to idle
        assert timer.interval() == gui_gc.IDLE_INTERVAL_MS
        del young
    finally:
        gui_gc.release()
