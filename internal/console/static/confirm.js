// confirm.js: the Yes/No dialog (the native <dialog>: modal, Escape answers No, focus kept inside).

// confirmDialog asks question; it resolves true for Yes, false for No or Escape.
export function confirmDialog(question, text) {
  const dlg = document.getElementById('confirm-dialog');
  dlg.querySelector('#confirm-title').textContent = question;
  dlg.querySelector('#confirm-text').textContent = text || '';
  const yes = dlg.querySelector('#confirm-yes');
  const no = dlg.querySelector('#confirm-no');
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const done = (answer) => {
      console.info(`confirm: "${question}" answered ${answer ? 'Yes' : 'No'}`);
      yes.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      dlg.removeEventListener('close', onClose);
      if (dlg.open) dlg.close();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    // Escape closes the dialog: No. A close event while the dialog is open belongs to an earlier
    // question, not to this one.
    const onClose = () => { if (!dlg.open) done(false); };
    yes.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
    dlg.addEventListener('close', onClose);
    dlg.showModal();
    console.info(`confirm: "${question}" asked`);
    no.focus(); // the safe answer first
  });
}
