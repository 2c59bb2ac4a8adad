import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkTimeZone, systemTimeZone } from "../../src/schedule/time_zone.ts";
import { assertScheduleError } from "./_one_line.ts";

describe("checkTimeZone()", () => {
  it("returns the canonical name of a zone Intl knows", () => {
    assert.equal(checkTimeZone("Europe/Berlin"), "Europe/Berlin");
    assert.equal(checkTimeZone("europe/berlin"), "Europe/Berlin");
    assert.equal(checkTimeZone("Australia/Lord_Howe"), "Australia/Lord_Howe");
    assert.equal(checkTimeZone("UTC"), "UTC");
  });

  it("refuses an unknown zone by name and suggests the nearest", () => {
    assertScheduleError(
      () => checkTimeZone("Europe/Berln"),
      "Unknown time zone 'Europe/Berln' (use an IANA name such as Europe/Berlin",
      "did you mean Europe/Berlin?",
    );
    assertScheduleError(() => checkTimeZone("Mars/Olympus_Mons"), "'Mars/Olympus_Mons'");
    assertScheduleError(() => checkTimeZone(""), "Unknown time zone ''");
  });
});

describe("systemTimeZone()", () => {
  it("is a zone checkTimeZone() accepts", () => {
    assert.equal(typeof checkTimeZone(systemTimeZone()), "string");
  });
});
