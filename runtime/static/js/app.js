// The script of the documentation examples.
document.addEventListener('DOMContentLoaded', () => {
  document.body.dataset.ready = 'true';
});
