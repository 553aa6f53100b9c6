// The room's page: opens the WebSocket next to this file, wherever the chat is mounted
// (.../static/index.html -> .../ws), shows every frame, sends what is typed.
"use strict";

const base = new URL("../ws", document.baseURI);
base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
const name = new URLSearchParams(location.search).get("name") || "";
if (name) base.searchParams.set("name", name);

const status = document.getElementById("status");
const list = document.getElementById("messages");
const socket = new WebSocket(base);

function show(text, kind) {
  const item = document.createElement("li");
  item.textContent = text; // never innerHTML: a message is text, not markup
  item.className = kind;
  list.appendChild(item);
}

socket.addEventListener("open", () => { status.textContent = "connected"; });
socket.addEventListener("close", (event) => {
  status.textContent = `closed (${event.code}${event.reason ? ": " + event.reason : ""})`;
});
socket.addEventListener("message", (event) => {
  const frame = JSON.parse(event.data);
  if (frame.type === "message") show(`${frame.member}: ${frame.text}`, "message");
  else if (frame.type === "answer") show(frame.text, "answer");
  else if (frame.type === "joined" || frame.type === "left") {
    status.textContent = `connected: ${frame.members} in the room (${frame.member} ${frame.type})`;
  }
});

document.getElementById("say").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  if (socket.readyState === WebSocket.OPEN && input.value) socket.send(input.value);
  input.value = "";
});
