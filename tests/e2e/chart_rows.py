"""Reading the chart's needling-site rows in a browser test."""

from playwright.sync_api import Locator

_CELLS = """cells => cells.map(cell => {
  const field = cell.querySelector("input:not([type=hidden]), select");
  if (!field) return cell.innerText.trim();
  return field.tagName === "SELECT" ? field.selectedOptions[0].text : field.value;
})"""


def site_row(row: Locator) -> list[str]:
    """A row of the sites table as shown: each cell's text, or the value of the field it
    holds (a draft's depth, insertions, twitch and tolerance change in place)."""
    return row.get_by_role("cell").evaluate_all(_CELLS)
