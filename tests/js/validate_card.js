// Validates a Teams reply with Microsoft's own Adaptive Cards library (npm "adaptivecards").
//
//   node tests/js/validate_card.js < reply.json
//
// Input: a Teams message ({"type": "message", "attachments": [...]}) or a bare AdaptiveCard.
// Every Adaptive Card in it is parsed with the library targeting schema 1.4, with only
// Action.OpenUrl registered (the one action outgoing webhooks may use), then validated.
// Output: one JSON line {"ok", "cards", "problems"}; exit code 0 only when no problem was
// found. Parsing needs no DOM, so plain Node is enough (rendering would need one).
"use strict";

const fs = require("fs");
const AC = require("adaptivecards/dist/adaptivecards.js");

const ADAPTIVE = "application/vnd.microsoft.card.adaptive";
const MAX_VERSION = AC.Versions.v1_4;

function cardsIn(payload, problems) {
  if (payload && payload.type === "AdaptiveCard") return [payload];
  if (!payload || payload.type !== "message") {
    problems.push('not a Teams message (type "message") nor an AdaptiveCard');
    return [];
  }
  const attachments = Array.isArray(payload.attachments) ? payload.attachments : [];
  const cards = attachments.filter((a) => a && a.contentType === ADAPTIVE).map((a) => a.content);
  if (cards.length === 0) problems.push("the message has no Adaptive Card attachment");
  return cards;
}

function validate(json, problems) {
  const ctx = new AC.SerializationContext(MAX_VERSION);
  const openUrlOnly = new AC.CardObjectRegistry();
  openUrlOnly.register("Action.OpenUrl", AC.OpenUrlAction);
  ctx.setActionRegistry(openUrlOnly);

  if (typeof json.version !== "string") problems.push("the card has no version");
  const card = new AC.AdaptiveCard();
  card.parse(json, ctx);
  if (card.version && card.version.compareTo(MAX_VERSION) > 0) {
    problems.push(`card version ${card.version.toString()} is newer than ${MAX_VERSION.toString()}`);
  }
  for (let i = 0; i < ctx.eventCount; i++) {
    const e = ctx.getEventAt(i);
    problems.push(`parse: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) {
    problems.push(`validate: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  return card;
}

function main() {
  const problems = [];
  let payload;
  try {
    payload = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (err) {
    problems.push(`input is not JSON: ${err.message}`);
  }
  const cards = payload === undefined ? [] : cardsIn(payload, problems);
  const summaries = cards.map((json) => {
    const card = validate(json, problems);
    return { version: card.version ? card.version.toString() : null, actions: card.getActionCount() };
  });
  const ok = problems.length === 0;
  process.stdout.write(JSON.stringify({ ok, cards: summaries, problems }) + "\n");
  process.exit(ok ? 0 : 1);
}

main();
