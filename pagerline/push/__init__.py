"""Transports: one per channel behind one small interface (:mod:`pagerline.push.base`)."""
