// sphinx-book-theme offers Colab on every page, but Colab opens notebooks only. book/_ext/colab_twins.py points a
// chapter's Colab entry at its notebook twin (book/_colab/); should a page have none, its link would fail, so
// remove the Colab entry wherever it does not point at an .ipynb file.
function removeColabForNonNotebooks() {
  for (const link of document.querySelectorAll('.dropdown-launch-buttons a[href*="colab.research.google.com"]')) {
    if (!new URL(link.href).pathname.endsWith(".ipynb")) {
      (link.closest("li") || link).remove();
    }
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", removeColabForNonNotebooks);
} else {
  removeColabForNonNotebooks();
}
