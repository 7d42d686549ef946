/**
 * The delivery journal: one JSON object a line, one line per SQS message a consumer was handed,
 * saying what became of it. The control API and the failover drill read it to count
 * deliveries, duplicates and losses; nothing ever rewrites it.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { localLayout } from "../layout";
import type { DeliveryRecord } from "./types";

/** Append-only journal of deliveries. */
export interface Journal {
  /** The JSON-lines file. */
  readonly path: string;
  /** Appends records, in order, in one write (a batch's records stay together). */
  append(...records: readonly DeliveryRecord[]): void;
  /**
   * Every record, in the order written; with `since`, only those whose `at` is at least `since`
   * (epoch ms). A line being written at that moment, or not JSON, is skipped.
   */
  read(since?: number): Promise<DeliveryRecord[]>;
  /** Releases the file; `append` reopens it. */
  close(): void;
}

/**
 * Opens the journal at `path` (the state directory's `deliveries.jsonl` by default), creating
 * its directory; the file itself appears with the first record.
 */
export function openJournal(path: string = localLayout().journal): Journal {
  let fd: number | undefined;
  return {
    path,
    append(...records) {
      if (records.length === 0) return;
      if (fd === undefined) {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, "a");
      }
      // One write of whole lines: an O_APPEND write is never interleaved with another's.
      writeSync(fd, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
    },
    async read(since) {
      return readJournal(path, since);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** The journal of the state directory `stateDir`. */
export function journalOf(stateDir: string): Journal {
  return openJournal(localLayout(stateDir).journal);
}

/** Reads a journal file (see {@link Journal.read}); a missing file is an empty journal. */
export function readJournal(path: string, since?: number): DeliveryRecord[] {
  if (!existsSync(path)) return [];
  const records: DeliveryRecord[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let record: DeliveryRecord;
    try {
      record = JSON.parse(line) as DeliveryRecord;
    } catch {
      continue;
    }
    if (typeof record !== "object" || record === null || typeof record.at !== "number") continue;
    if (since === undefined || record.at >= since) records.push(record);
  }
  return records;
}
