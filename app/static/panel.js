// Zone board: refresh the table from the server without a full page load.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board) { return; }
  async function refresh() {
    const response = await fetch(board.dataset.src, {credentials: "same-origin",
                                                     headers: {"Accept": "text/html"}});
    if (response.ok) { board.innerHTML = await response.text(); }
    return response.ok;
  }
  window.kanavaBoard = {refresh: refresh};
  const button = document.getElementById("board-refresh");
  if (button) { button.addEventListener("click", function () { refresh(); }); }
  setInterval(function () { if (!document.hidden) { refresh(); } }, 30000);
})();
