// The theme's "Download source file" link opens the file in a new tab, so a browser shows a notebook as raw JSON
// (jupyter-book#2237, sphinx-book-theme#918). Turn the link into a real download of the file, under its own name.
function makeSourceLinksDownload() {
  for (const link of document.querySelectorAll("a.btn-download-source-button")) {
    const fileName = new URL(link.href, document.baseURI).pathname.split("/").pop();
    link.setAttribute("download", fileName);
    link.removeAttribute("target");
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", makeSourceLinksDownload);
} else {
  makeSourceLinksDownload();
}
