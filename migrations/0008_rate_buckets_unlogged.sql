-- Rate-limit windows last seconds: their table need not survive a crash, and its writes (one
-- per webhook API request) then need no WAL flush before the answer. A crash empties it, which
-- only resets every window.
ALTER TABLE "rate_buckets" SET UNLOGGED;
