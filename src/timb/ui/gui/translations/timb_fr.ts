<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr" sourcelanguage="en">
<context>
    <name></name>
    <message>
        <location filename="../accounts.py" line="39"/>
        <source>disconnected</source>
        <translation>déconnecté</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="40"/>
        <source>connecting</source>
        <translation>connexion en cours</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="41"/>
        <source>connected</source>
        <translation>connecté</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="42"/>
        <source>failed</source>
        <translation>échec</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="66"/>
        <source>Add an account</source>
        <translation>Ajouter un compte</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="67"/>
        <source>Network</source>
        <translation>Réseau</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="67"/>
        <source>The chat network of this account</source>
        <translation>Le réseau de discussion de ce compte</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="68"/>
        <source>XMPP (Jabber)</source>
        <translation>XMPP (Jabber)</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="69"/>
        <source>IRC (private messages, over TLS)</source>
        <translation>IRC (messages privés, par TLS)</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="72"/>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="72"/>
        <source>Your address: user@server for XMPP, nick@server for IRC</source>
        <translation>Votre adresse : utilisateur@serveur pour XMPP, pseudo@serveur pour IRC</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="74"/>
        <source>Password</source>
        <translation>Mot de passe</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="74"/>
        <source>The account&apos;s password</source>
        <translation>Le mot de passe du compte</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="77"/>
        <source>Server host</source>
        <translation>Hôte du serveur</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="77"/>
        <source>Optional: the host to reach, e.g. an onion</source>
        <translation>Facultatif : l’hôte à joindre, par exemple une adresse onion</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="79"/>
        <source>Server port</source>
        <translation>Port du serveur</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="79"/>
        <source>The XMPP port, 5222 unless told otherwise</source>
        <translation>Le port XMPP, 5222 sauf indication contraire</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="82"/>
        <source>TLS pin</source>
        <translation>Empreinte TLS</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="82"/>
        <source>Optional: SHA-256 of the server&apos;s certificate</source>
        <translation>Facultatif : SHA-256 du certificat du serveur</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="85"/>
        <location filename="../dialogs.py" line="115"/>
        <source>&amp;Add</source>
        <translation>&amp;Ajouter</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="85"/>
        <location filename="../dialogs.py" line="115"/>
        <source>Add</source>
        <translation>Ajouter</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="85"/>
        <source>Add this account</source>
        <translation>Ajouter ce compte</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="87"/>
        <source>Create a &amp;throwaway account</source>
        <translation>Créer un compte &amp;jetable</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="88"/>
        <source>Create a throwaway account</source>
        <translation>Créer un compte jetable</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="89"/>
        <source>A random name and password on the server typed in the address field</source>
        <translation>Un nom et un mot de passe aléatoires sur le serveur indiqué dans le champ adresse</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="91"/>
        <location filename="../bridges.py" line="162"/>
        <location filename="../channels.py" line="88"/>
        <location filename="../dialogs.py" line="94"/>
        <location filename="../dialogs.py" line="116"/>
        <location filename="../onion.py" line="146"/>
        <location filename="../onion_flow.py" line="92"/>
        <location filename="../onion_flow.py" line="160"/>
        <location filename="../onion_flow.py" line="183"/>
        <location filename="../verify.py" line="143"/>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="91"/>
        <location filename="../dialogs.py" line="116"/>
        <source>Close without adding</source>
        <translation>Fermer sans ajouter</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="97"/>
        <source>&amp;Network:</source>
        <translation>&amp;Réseau :</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="98"/>
        <location filename="../dialogs.py" line="122"/>
        <source>A&amp;ddress:</source>
        <translation>A&amp;dresse :</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="99"/>
        <source>&amp;Password:</source>
        <translation>&amp;Mot de passe :</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="100"/>
        <source>&amp;Host:</source>
        <translation>&amp;Hôte :</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="101"/>
        <source>P&amp;ort:</source>
        <translation>P&amp;ort :</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="102"/>
        <source>TLS p&amp;in:</source>
        <translation>Empre&amp;inte TLS :</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="126"/>
        <source>The address and the password are required.</source>
        <translation>L’adresse et le mot de passe sont obligatoires.</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="139"/>
        <source>Adding…</source>
        <translation>Ajout…</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="145"/>
        <source>Type the server&apos;s name in the address field, e.g. example.org.</source>
        <translation>Tapez le nom du serveur dans le champ adresse, par exemple example.org.</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="151"/>
        <source>Creating an account on {server} (through Tor, this takes a moment)…</source>
        <translation>Création d’un compte sur {server} (par Tor, cela prend un moment)…</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="184"/>
        <location filename="../accounts.py" line="185"/>
        <source>Accounts</source>
        <translation>Comptes</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="185"/>
        <source>Your accounts and their connection</source>
        <translation>Vos comptes et leur connexion</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="189"/>
        <source>&amp;Add…</source>
        <translation>&amp;Ajouter…</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="189"/>
        <source>Add an account or create a throwaway one</source>
        <translation>Ajouter un compte ou en créer un jetable</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="192"/>
        <source>&amp;Connect</source>
        <translation>&amp;Connecter</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="193"/>
        <source>Connect the selected account through Tor</source>
        <translation>Connecter le compte choisi par Tor</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="198"/>
        <source>&amp;Disconnect</source>
        <translation>&amp;Déconnecter</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="199"/>
        <source>Disconnect the selected account</source>
        <translation>Déconnecter le compte choisi</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="202"/>
        <location filename="../commands.py" line="211"/>
        <source>&amp;Remove</source>
        <translation>&amp;Supprimer</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="202"/>
        <source>Forget the selected account, its key and contacts</source>
        <translation>Oublier le compte choisi, sa clé et ses contacts</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="203"/>
        <location filename="../channels.py" line="247"/>
        <location filename="../irc_sasl.py" line="65"/>
        <location filename="../onion.py" line="210"/>
        <location filename="../settings.py" line="91"/>
        <source>Close</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="203"/>
        <location filename="../channels.py" line="247"/>
        <location filename="../irc_sasl.py" line="65"/>
        <location filename="../onion.py" line="210"/>
        <source>Close this window</source>
        <translation>Fermer cette fenêtre</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="257"/>
        <source>Remove account</source>
        <translation>Supprimer le compte</translation>
    </message>
    <message>
        <location filename="../accounts.py" line="258"/>
        <source>Forget {account}, its OTR key and its contacts?</source>
        <translation>Oublier {account}, sa clé OTR et ses contacts ?</translation>
    </message>
    <message>
        <location filename="../badge.py" line="28"/>
        <source>NOT PRIVATE</source>
        <translation>NON PRIVÉ</translation>
    </message>
    <message>
        <location filename="../badge.py" line="29"/>
        <source>PRIVATE UNVERIFIED</source>
        <translation>PRIVÉ NON VÉRIFIÉ</translation>
    </message>
    <message>
        <location filename="../badge.py" line="30"/>
        <source>PRIVATE VERIFIED</source>
        <translation>PRIVÉ VÉRIFIÉ</translation>
    </message>
    <message>
        <location filename="../badge.py" line="31"/>
        <source>FINISHED</source>
        <translation>TERMINÉ</translation>
    </message>
    <message>
        <location filename="../badge.py" line="37"/>
        <source>No private session: messages wait, nothing is sent in the clear.</source>
        <translation>Pas de session privée : les messages attendent, rien n’est envoyé en clair.</translation>
    </message>
    <message>
        <location filename="../badge.py" line="38"/>
        <source>Encrypted, but you have not verified who holds the other key.</source>
        <translation>Chiffré, mais vous n’avez pas vérifié qui détient l’autre clé.</translation>
    </message>
    <message>
        <location filename="../badge.py" line="39"/>
        <source>Encrypted to a key you verified.</source>
        <translation>Chiffré pour une clé que vous avez vérifiée.</translation>
    </message>
    <message>
        <location filename="../badge.py" line="40"/>
        <source>They ended the private session: messages wait until you start a new one.</source>
        <translation>Votre contact a terminé la session privée : les messages attendent que vous en ouvriez une nouvelle.</translation>
    </message>
    <message>
        <location filename="../badge.py" line="80"/>
        <source>Privacy: {state}</source>
        <translation>Confidentialité : {state}</translation>
    </message>
    <message>
        <location filename="../commands.py" line="44"/>
        <source>&amp;TIMB</source>
        <translation>&amp;TIMB</translation>
    </message>
    <message>
        <location filename="../commands.py" line="46"/>
        <source>&amp;Accounts…</source>
        <translation>&amp;Comptes…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="47"/>
        <source>&amp;IRC SASL key…</source>
        <translation>Clé SASL &amp;IRC…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="48"/>
        <source>&amp;Settings…</source>
        <translation>&amp;Réglages…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="49"/>
        <source>&amp;Tor connection (bridges)…</source>
        <translation>Connexion à &amp;Tor (ponts)…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="50"/>
        <source>&amp;Panic: end everything and quit</source>
        <translation>&amp;Panique : tout arrêter et quitter</translation>
    </message>
    <message>
        <location filename="../commands.py" line="51"/>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <location filename="../commands.py" line="55"/>
        <location filename="../window.py" line="68"/>
        <source>&amp;Contacts</source>
        <translation>&amp;Contacts</translation>
    </message>
    <message>
        <location filename="../commands.py" line="57"/>
        <source>&amp;Add contact…</source>
        <translation>&amp;Ajouter un contact…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="58"/>
        <source>&amp;Remove contact</source>
        <translation>&amp;Supprimer le contact</translation>
    </message>
    <message>
        <location filename="../commands.py" line="59"/>
        <source>&amp;Block contact</source>
        <translation>&amp;Bloquer le contact</translation>
    </message>
    <message>
        <location filename="../commands.py" line="60"/>
        <source>&amp;Go to contacts</source>
        <translation>&amp;Aller aux contacts</translation>
    </message>
    <message>
        <location filename="../commands.py" line="64"/>
        <source>O&amp;nion</source>
        <translation>O&amp;nion</translation>
    </message>
    <message>
        <location filename="../commands.py" line="66"/>
        <location filename="../onion.py" line="68"/>
        <source>&amp;New onion identity…</source>
        <translation>&amp;Nouvelle identité onion…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="67"/>
        <source>Go to the &amp;onion section</source>
        <translation>Aller à la partie &amp;onion</translation>
    </message>
    <message>
        <location filename="../commands.py" line="71"/>
        <source>&amp;IRC</source>
        <translation>&amp;IRC</translation>
    </message>
    <message>
        <location filename="../commands.py" line="73"/>
        <source>&amp;Channels (NOT PRIVATE)…</source>
        <translation>&amp;Salons (NON PRIVÉS)…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="74"/>
        <source>&amp;Leave this channel</source>
        <translation>&amp;Quitter ce salon</translation>
    </message>
    <message>
        <location filename="../commands.py" line="78"/>
        <source>C&amp;onversation</source>
        <translation>C&amp;onversation</translation>
    </message>
    <message>
        <location filename="../commands.py" line="80"/>
        <source>Go &amp;private (start OTR)</source>
        <translation>Passer en &amp;privé (démarrer OTR)</translation>
    </message>
    <message>
        <location filename="../commands.py" line="81"/>
        <source>&amp;End private session</source>
        <translation>&amp;Terminer la session privée</translation>
    </message>
    <message>
        <location filename="../commands.py" line="82"/>
        <source>&amp;Verify fingerprints…</source>
        <translation>&amp;Vérifier les empreintes…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="83"/>
        <source>Verify with a &amp;secret (SMP)…</source>
        <translation>Vérifier par un &amp;secret (SMP)…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="84"/>
        <source>&amp;Held messages…</source>
        <translation>Messages &amp;retenus…</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="44"/>
        <location filename="../commands.py" line="145"/>
        <source>Add an IRC account first (F2).</source>
        <translation>Ajoutez d’abord un compte IRC (F2).</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="55"/>
        <source>Open a channel first (IRC &gt; Channels, Ctrl+J).</source>
        <translation>Ouvrez d&apos;abord un salon (IRC &gt; Salons, Ctrl+J).</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="77"/>
        <source>not sent: {reason}</source>
        <translation>non envoyé : {reason}</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="89"/>
        <source>not sent: you kept it</source>
        <translation>non envoyé : vous l&apos;avez gardé</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="172"/>
        <source>{who} set the topic</source>
        <translation>{who} a changé le sujet</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="172"/>
        <source>the topic changed</source>
        <translation>le sujet a changé</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="179"/>
        <location filename="../channels.py" line="333"/>
        <source>{channel}: {reason}</source>
        <translation>{channel} : {reason}</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="194"/>
        <source>you are in {channel}: NOT PRIVATE</source>
        <translation>vous êtes dans {channel} : NON PRIVÉ</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="198"/>
        <source>{who} removed you from {channel}</source>
        <translation>{who} vous a exclu de {channel}</translation>
    </message>
    <message>
        <location filename="../channel_flow.py" line="200"/>
        <source>you left {channel}</source>
        <translation>vous avez quitté {channel}</translation>
    </message>
    <message>
        <location filename="../commands.py" line="197"/>
        <source>Add an account first (F2).</source>
        <translation>Ajoutez d’abord un compte (F2).</translation>
    </message>
    <message>
        <location filename="../commands.py" line="209"/>
        <source>Remove contact</source>
        <translation>Supprimer le contact</translation>
    </message>
    <message>
        <location filename="../commands.py" line="210"/>
        <source>Remove {contact} from {account}?</source>
        <translation>Supprimer {contact} de {account} ?</translation>
    </message>
    <message>
        <location filename="../commands.py" line="258"/>
        <source>starting a private session…</source>
        <translation>ouverture d’une session privée…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="303"/>
        <source>verification (SMP) started: waiting for them</source>
        <translation>vérification (SMP) lancée : en attente de votre contact</translation>
    </message>
    <message>
        <location filename="../commands.py" line="317"/>
        <source>answer sent: checking…</source>
        <translation>réponse envoyée : vérification…</translation>
    </message>
    <message>
        <location filename="../commands.py" line="319"/>
        <source>you refused to answer their verification</source>
        <translation>vous avez refusé de répondre à sa vérification</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="35"/>
        <source>pending: waiting for a private session</source>
        <translation>en attente d’une session privée</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="36"/>
        <source>sent encrypted</source>
        <translation>envoyé chiffré</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="37"/>
        <location filename="../onion_chat.py" line="37"/>
        <source>delivered</source>
        <translation>remis</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="38"/>
        <location filename="../onion_chat.py" line="38"/>
        <source>not sent</source>
        <translation>non envoyé</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="69"/>
        <location filename="../onion_chat.py" line="79"/>
        <source>Messages</source>
        <translation>Messages</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="70"/>
        <location filename="../onion_chat.py" line="80"/>
        <source>The conversation, oldest first; your messages show their state</source>
        <translation>La conversation, du plus ancien au plus récent ; vos messages indiquent leur état</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="74"/>
        <location filename="../onion.py" line="203"/>
        <location filename="../onion_chat.py" line="84"/>
        <source>Message</source>
        <translation>Message</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="74"/>
        <location filename="../onion_chat.py" line="84"/>
        <source>Type a message; Enter sends, Shift+Enter starts a new line</source>
        <translation>Tapez un message ; Entrée l’envoie, Maj+Entrée commence une nouvelle ligne</translation>
    </message>
    <message>
        <location filename="../channels.py" line="51"/>
        <source>NOT PRIVATE: everyone in {channel} and the server reads this</source>
        <translation>NON PRIVÉ : tout le monde dans {channel} et le serveur lisent ceci</translation>
    </message>
    <message>
        <location filename="../channels.py" line="64"/>
        <source>IRC channels are not encrypted: everyone in the channel, anyone who joins it later and logs it, and the server&apos;s operators read what you write. TIMB adds no OTR here; use a one-to-one conversation for anything private.</source>
        <translation>Les salons IRC ne sont pas chiffrés : tout le monde dans le salon, quiconque le rejoint plus tard et l&apos;enregistre, et les opérateurs du serveur lisent ce que vous écrivez. TIMB n&apos;ajoute pas d&apos;OTR ici ; utilisez une conversation à deux pour tout ce qui est privé.</translation>
    </message>
    <message>
        <location filename="../channels.py" line="78"/>
        <source>Send to a channel that is NOT PRIVATE?</source>
        <translation>Envoyer dans un salon NON PRIVÉ ?</translation>
    </message>
    <message>
        <location filename="../channels.py" line="80"/>
        <source>{channel} is an IRC channel: NOT PRIVATE. Your message goes out unencrypted and is read by everyone in {channel} ({members} there now, as far as the server says), by anyone who joins later and keeps logs, and by the server and its operators. It cannot be taken back. Send your first message there? (TIMB asks again after you leave the channel.)</source>
        <translation>{channel} est un salon IRC : NON PRIVÉ. Votre message part sans chiffrement et est lu par tout le monde dans {channel} ({members} présents maintenant, d&apos;après le serveur), par quiconque le rejoint plus tard et garde des journaux, et par le serveur et ses opérateurs. Il ne peut pas être repris. Y envoyer votre premier message ? (TIMB redemande après que vous avez quitté le salon.)</translation>
    </message>
    <message>
        <location filename="../channels.py" line="87"/>
        <source>Send it, &amp;not private</source>
        <translation>L&apos;envoyer, &amp;non privé</translation>
    </message>
    <message>
        <location filename="../channels.py" line="87"/>
        <source>Send this message to everyone in the channel</source>
        <translation>Envoyer ce message à tout le monde dans le salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="88"/>
        <source>Send nothing; the text goes back to the composer</source>
        <translation>N&apos;envoyer rien ; le texte revient dans la zone de saisie</translation>
    </message>
    <message>
        <location filename="../channels.py" line="106"/>
        <source>{channel} on {account}</source>
        <translation>{channel} sur {account}</translation>
    </message>
    <message>
        <location filename="../channels.py" line="113"/>
        <source>&amp;Leave channel</source>
        <translation>&amp;Quitter le salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="114"/>
        <source>Leave channel</source>
        <translation>Quitter le salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="115"/>
        <source>Part the channel; writing there again asks again</source>
        <translation>Quitter le salon ; y écrire de nouveau redemandera confirmation</translation>
    </message>
    <message>
        <location filename="../channels.py" line="120"/>
        <source>Channel messages</source>
        <translation>Messages du salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="121"/>
        <source>What was said in the channel since you joined, oldest first: NOT PRIVATE</source>
        <translation>Ce qui a été dit dans le salon depuis votre arrivée, du plus ancien au plus récent : NON PRIVÉ</translation>
    </message>
    <message>
        <location filename="../channels.py" line="125"/>
        <source>People in the channel</source>
        <translation>Personnes dans le salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="125"/>
        <source>Everyone who reads what you write here</source>
        <translation>Tous ceux qui lisent ce que vous écrivez ici</translation>
    </message>
    <message>
        <location filename="../channels.py" line="129"/>
        <source>Message to the channel (NOT PRIVATE)</source>
        <translation>Message au salon (NON PRIVÉ)</translation>
    </message>
    <message>
        <location filename="../channels.py" line="130"/>
        <source>Everyone in the channel reads it; Enter sends, Shift+Enter starts a new line</source>
        <translation>Tout le monde dans le salon le lit ; Entrée envoie, Maj+Entrée commence une nouvelle ligne</translation>
    </message>
    <message>
        <location filename="../channels.py" line="136"/>
        <location filename="../conversation.py" line="79"/>
        <location filename="../onion_chat.py" line="89"/>
        <source>&amp;Send</source>
        <translation>&amp;Envoyer</translation>
    </message>
    <message>
        <location filename="../channels.py" line="136"/>
        <location filename="../conversation.py" line="79"/>
        <location filename="../onion_chat.py" line="89"/>
        <source>Send</source>
        <translation>Envoyer</translation>
    </message>
    <message>
        <location filename="../channels.py" line="136"/>
        <source>Send the message to everyone in the channel</source>
        <translation>Envoyer le message à tout le monde dans le salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="180"/>
        <source>* {sender} {text}</source>
        <translation>* {sender} {text}</translation>
    </message>
    <message>
        <location filename="../channels.py" line="182"/>
        <source>{sender}: {text}</source>
        <translation>{sender} : {text}</translation>
    </message>
    <message>
        <location filename="../channels.py" line="185"/>
        <source>me (sent, NOT PRIVATE): {text}</source>
        <translation>moi (envoyé, NON PRIVÉ) : {text}</translation>
    </message>
    <message>
        <location filename="../channels.py" line="198"/>
        <source>Topic: {topic}</source>
        <translation>Sujet : {topic}</translation>
    </message>
    <message>
        <location filename="../channels.py" line="198"/>
        <source>No topic is set.</source>
        <translation>Aucun sujet n&apos;est défini.</translation>
    </message>
    <message>
        <location filename="../channels.py" line="204"/>
        <source>{count} people read what you write here</source>
        <translation>{count} personnes lisent ce que vous écrivez ici</translation>
    </message>
    <message>
        <location filename="../channels.py" line="225"/>
        <source>IRC channels</source>
        <translation>Salons IRC</translation>
    </message>
    <message>
        <location filename="../channels.py" line="227"/>
        <source>The IRC account whose channels are shown</source>
        <translation>Le compte IRC dont les salons sont affichés</translation>
    </message>
    <message>
        <location filename="../channels.py" line="230"/>
        <source>Channel name</source>
        <translation>Nom du salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="230"/>
        <source>The channel to join, like #timb</source>
        <translation>Le salon à rejoindre, par exemple #timb</translation>
    </message>
    <message>
        <location filename="../channels.py" line="231"/>
        <source>#channel</source>
        <translation>#salon</translation>
    </message>
    <message>
        <location filename="../channels.py" line="233"/>
        <source>&amp;Join</source>
        <translation>&amp;Rejoindre</translation>
    </message>
    <message>
        <location filename="../channels.py" line="234"/>
        <source>Join</source>
        <translation>Rejoindre</translation>
    </message>
    <message>
        <location filename="../channels.py" line="235"/>
        <source>Join the channel: NOT PRIVATE, everyone there reads you</source>
        <translation>Rejoindre le salon : NON PRIVÉ, tout le monde y lit vos messages</translation>
    </message>
    <message>
        <location filename="../channels.py" line="239"/>
        <source>Channels</source>
        <translation>Salons</translation>
    </message>
    <message>
        <location filename="../channels.py" line="239"/>
        <source>This account&apos;s channels; Enter opens the selected one</source>
        <translation>Les salons de ce compte ; Entrée ouvre celui qui est sélectionné</translation>
    </message>
    <message>
        <location filename="../channels.py" line="242"/>
        <source>&amp;Open</source>
        <translation>&amp;Ouvrir</translation>
    </message>
    <message>
        <location filename="../channels.py" line="242"/>
        <source>Open</source>
        <translation>Ouvrir</translation>
    </message>
    <message>
        <location filename="../channels.py" line="242"/>
        <source>Open the selected channel in a tab</source>
        <translation>Ouvrir le salon sélectionné dans un onglet</translation>
    </message>
    <message>
        <location filename="../channels.py" line="245"/>
        <source>&amp;Leave</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <location filename="../channels.py" line="245"/>
        <source>Leave</source>
        <translation>Quitter</translation>
    </message>
    <message>
        <location filename="../channels.py" line="245"/>
        <source>Part the selected channel</source>
        <translation>Quitter le salon sélectionné</translation>
    </message>
    <message>
        <location filename="../channels.py" line="252"/>
        <source>IRC channels are NOT PRIVATE: everyone in a channel and the server read it, and TIMB adds no encryption there. Private messages with one person use OTR.</source>
        <translation>Les salons IRC ne sont PAS PRIVÉS : tout le monde dans un salon et le serveur les lisent, et TIMB n&apos;y ajoute aucun chiffrement. Les messages privés avec une personne utilisent OTR.</translation>
    </message>
    <message>
        <location filename="../channels.py" line="272"/>
        <source>C&amp;hannel:</source>
        <translation>Sa&amp;lon :</translation>
    </message>
    <message>
        <location filename="../channels.py" line="296"/>
        <source>{channel}: joined, {count} there, NOT PRIVATE</source>
        <translation>{channel} : rejoint, {count} présents, NON PRIVÉ</translation>
    </message>
    <message>
        <location filename="../channels.py" line="298"/>
        <source>{channel}: joining…</source>
        <translation>{channel} : en train de rejoindre…</translation>
    </message>
    <message>
        <location filename="../channels.py" line="319"/>
        <source>Type the channel&apos;s name, like #timb.</source>
        <translation>Tapez le nom du salon, par exemple #timb.</translation>
    </message>
    <message>
        <location filename="../channels.py" line="327"/>
        <source>Joining {channel}…</source>
        <translation>Connexion à {channel}…</translation>
    </message>
    <message>
        <location filename="../channels.py" line="345"/>
        <source>Not in {channel} yet: the server has not answered.</source>
        <translation>Pas encore dans {channel} : le serveur n&apos;a pas répondu.</translation>
    </message>
    <message>
        <location filename="../channels.py" line="361"/>
        <source>Leaving {channel}…</source>
        <translation>Départ de {channel}…</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="79"/>
        <location filename="../onion_chat.py" line="89"/>
        <source>Send the message</source>
        <translation>Envoyer le message</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="82"/>
        <source>Messages HELD: &amp;decide…</source>
        <translation>Messages RETENUS : &amp;décider…</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="83"/>
        <source>Messages held</source>
        <translation>Messages retenus</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="84"/>
        <source>Messages written for another key were not sent: send them to the new key or discard them</source>
        <translation>Des messages écrits pour une autre clé n’ont pas été envoyés : envoyez-les à la nouvelle clé ou jetez-les</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="136"/>
        <source>HELD: not sent, their key changed</source>
        <translation>RETENU : non envoyé, sa clé a changé</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="137"/>
        <location filename="../onion_chat.py" line="164"/>
        <source>me ({state}): {text}</source>
        <translation>moi ({state}) : {text}</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="167"/>
        <location filename="../events.py" line="87"/>
        <location filename="../onion_chat.py" line="176"/>
        <source>{contact}: {text}</source>
        <translation>{contact} : {text}</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="169"/>
        <source>{contact} (NOT ENCRYPTED): {text}</source>
        <translation>{contact} (NON CHIFFRÉ) : {text}</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="179"/>
        <source>me</source>
        <translation>moi</translation>
    </message>
    <message>
        <location filename="../conversation.py" line="180"/>
        <source>{who} (history): {text}</source>
        <translation>{who} (historique) : {text}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="27"/>
        <source>always: never send without OTR</source>
        <translation>toujours : ne jamais envoyer sans OTR</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="28"/>
        <source>opportunistic: OTR when they have it</source>
        <translation>opportuniste : OTR quand le contact l’a</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="29"/>
        <source>manual: start OTR by hand</source>
        <translation>manuel : démarrer OTR à la main</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="30"/>
        <source>never: no OTR (not private!)</source>
        <translation>jamais : pas d’OTR (non privé !)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="35"/>
        <source>Encryption policy</source>
        <translation>Politique de chiffrement</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="35"/>
        <source>When this conversation uses OTR</source>
        <translation>Quand cette conversation utilise OTR</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="79"/>
        <source>Contact request</source>
        <translation>Demande de contact</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="80"/>
        <source>{contact} asks to see when you are online (account {account}).</source>
        <translation>{contact} demande à voir quand vous êtes en ligne (compte {account}).</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="84"/>
        <source>&amp;Approve</source>
        <translation>&amp;Accepter</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="84"/>
        <source>Let them see your presence</source>
        <translation>Lui laisser voir votre présence</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="85"/>
        <source>&amp;Deny</source>
        <translation>&amp;Refuser</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="85"/>
        <location filename="../onion.py" line="291"/>
        <source>Refuse; they may ask again</source>
        <translation>Refuser ; la demande pourra être renouvelée</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="86"/>
        <location filename="../onion.py" line="292"/>
        <location filename="../onion_flow.py" line="182"/>
        <source>&amp;Block</source>
        <translation>&amp;Bloquer</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="86"/>
        <source>Refuse and drop everything they send</source>
        <translation>Refuser et ignorer tout ce que ce contact envoie</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="45"/>
        <source>obfs4: looks like random noise (try this first)</source>
        <translation>obfs4 : ressemble à du bruit aléatoire (à essayer d’abord)</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="46"/>
        <source>snowflake: goes through volunteers&apos; browsers</source>
        <translation>snowflake : passe par les navigateurs de bénévoles</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="47"/>
        <source>meek: looks like a visit to a big cloud service (slow)</source>
        <translation>meek : ressemble à une visite d’un grand service en nuage (lent)</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="53"/>
        <source>it uses bridges</source>
        <translation>il utilise des ponts</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="53"/>
        <source>it connects directly</source>
        <translation>il se connecte directement</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="53"/>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="54"/>
        <source>attached to a tor TIMB does not run ({uses})</source>
        <translation>relié à un tor que TIMB ne gère pas ({uses})</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="59"/>
        <location filename="../bridges.py" line="254"/>
        <source>directly</source>
        <translation>directement</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="61"/>
        <source>built-in bridges: {transport}</source>
        <translation>ponts intégrés : {transport}</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="63"/>
        <source>{count} bridge(s) you were given</source>
        <translation>{count} pont(s) que l’on vous a donné(s)</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="64"/>
        <source>not chosen yet: Tor waits for your answer</source>
        <translation>pas encore choisi : Tor attend votre réponse</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="83"/>
        <source>How to reach Tor</source>
        <translation>Comment joindre Tor</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="86"/>
        <source>TIMB sends everything through Tor. Where Tor is blocked, bridges hide that you use it. If you do not know, connect directly: if that stalls, TIMB offers bridges.</source>
        <translation>TIMB fait tout passer par Tor. Là où Tor est bloqué, les ponts cachent que vous l’utilisez. Si vous ne savez pas, connectez-vous directement : si cela bloque, TIMB proposera des ponts.</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="90"/>
        <source>Before TIMB connects anywhere: is Tor blocked where you are?</source>
        <translation>Avant que TIMB ne se connecte où que ce soit : Tor est-il bloqué là où vous êtes ?</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="92"/>
        <source>Now: {words}</source>
        <translation>Actuellement : {words}</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="95"/>
        <source>Connect to Tor &amp;directly</source>
        <translation>Se connecter à Tor &amp;directement</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="95"/>
        <source>Tor is not blocked where I am</source>
        <translation>Tor n’est pas bloqué là où je suis</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="98"/>
        <source>Tor is &amp;blocked where I am: use a built-in bridge</source>
        <translation>Tor est &amp;bloqué là où je suis : utiliser un pont intégré</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="99"/>
        <source>Bridges that come with TIMB; choose the kind below</source>
        <translation>Des ponts fournis avec TIMB ; choisissez le type ci-dessous</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="104"/>
        <source>Kind of bridge</source>
        <translation>Type de pont</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="104"/>
        <source>Only the kinds an installed program can run</source>
        <translation>Seulement les types qu’un programme installé peut faire fonctionner</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="112"/>
        <source>I was &amp;given bridges</source>
        <translation>On m’a &amp;donné des ponts</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="112"/>
        <source>Paste the bridge lines you were given</source>
        <translation>Collez les lignes de ponts que l’on vous a données</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="116"/>
        <source>Bridge lines</source>
        <translation>Lignes de ponts</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="117"/>
        <source>One bridge per line, as you were given them (for example: obfs4 192.0.2.1:443 … cert=…)</source>
        <translation>Un pont par ligne, tels qu’on vous les a donnés (par exemple : obfs4 192.0.2.1:443 … cert=…)</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="122"/>
        <source>{count} bridge(s) stored (not shown): paste new lines to replace them</source>
        <translation>{count} pont(s) enregistré(s) (non affichés) : collez de nouvelles lignes pour les remplacer</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="151"/>
        <source>No built-in bridge can run here: install obfs4proxy or snowflake-client.</source>
        <translation>Aucun pont intégré ne peut fonctionner ici : installez obfs4proxy ou snowflake-client.</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="152"/>
        <source>The built-in list is from {date}; bridges you were given are harder to block.</source>
        <translation>La liste intégrée date du {date} ; les ponts que l’on vous donne sont plus difficiles à bloquer.</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="158"/>
        <source>&amp;Use this</source>
        <translation>&amp;Utiliser ceci</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="158"/>
        <source>Use this</source>
        <translation>Utiliser ceci</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="158"/>
        <source>Store the choice and connect</source>
        <translation>Enregistrer le choix et se connecter</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="162"/>
        <source>Not &amp;now: Tor waits</source>
        <translation>Pas &amp;maintenant : Tor attend</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="163"/>
        <location filename="../dialogs.py" line="94"/>
        <location filename="../onion_flow.py" line="92"/>
        <location filename="../onion_flow.py" line="160"/>
        <location filename="../onion_flow.py" line="183"/>
        <source>Change nothing</source>
        <translation>Ne rien changer</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="170"/>
        <source>TIMB uses a tor it does not run: set bridges where that tor is configured.</source>
        <translation>TIMB utilise un tor qu’il ne gère pas : réglez les ponts là où ce tor est configuré.</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="195"/>
        <source>Paste the bridge lines you were given.</source>
        <translation>Collez les lignes de ponts que l’on vous a données.</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="197"/>
        <source>Applying…</source>
        <translation>Application…</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="254"/>
        <source>built-in bridges</source>
        <translation>ponts intégrés</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="254"/>
        <source>your bridges</source>
        <translation>vos ponts</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="255"/>
        <source>Tor connection stored: {how}</source>
        <translation>Connexion à Tor enregistrée : {how}</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="267"/>
        <source>Tor is not getting through ({progress}%): {message}</source>
        <translation>Tor ne passe pas ({progress} %) : {message}</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="275"/>
        <source>Tor is stuck</source>
        <translation>Tor est bloqué</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="278"/>
        <source>Choose &amp;bridges…</source>
        <translation>Choisir des &amp;ponts…</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="278"/>
        <source>Tor may be blocked here: use bridges</source>
        <translation>Tor est peut-être bloqué ici : utiliser des ponts</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="279"/>
        <source>Keep &amp;waiting</source>
        <translation>Continuer d’&amp;attendre</translation>
    </message>
    <message>
        <location filename="../bridges.py" line="279"/>
        <source>Change nothing; Tor keeps trying</source>
        <translation>Ne rien changer ; Tor continue d’essayer</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="109"/>
        <source>Add a contact</source>
        <translation>Ajouter un contact</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="110"/>
        <source>Account</source>
        <translation>Compte</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="110"/>
        <source>The account that adds the contact</source>
        <translation>Le compte qui ajoute le contact</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="112"/>
        <location filename="../onion_chat.py" line="61"/>
        <source>Contact address</source>
        <translation>Adresse du contact</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="112"/>
        <source>Their address, user@server</source>
        <translation>Son adresse, utilisateur@serveur</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="115"/>
        <source>Add this contact</source>
        <translation>Ajouter ce contact</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="121"/>
        <source>A&amp;ccount:</source>
        <translation>&amp;Compte :</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="123"/>
        <source>&amp;Encryption:</source>
        <translation>C&amp;hiffrement :</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="135"/>
        <source>Type their address.</source>
        <translation>Tapez son adresse.</translation>
    </message>
    <message>
        <location filename="../events.py" line="59"/>
        <source>verified: {contact} knew the secret</source>
        <translation>vérifié : {contact} connaissait le secret</translation>
    </message>
    <message>
        <location filename="../events.py" line="62"/>
        <source>you answered their question correctly (this does not verify them)</source>
        <translation>vous avez bien répondu à sa question (cela ne vérifie pas votre contact)</translation>
    </message>
    <message>
        <location filename="../events.py" line="64"/>
        <source>verification FAILED: the answers differ</source>
        <translation>ÉCHEC de la vérification : les réponses diffèrent</translation>
    </message>
    <message>
        <location filename="../events.py" line="66"/>
        <source>verification FAILED: the exchange was tampered with</source>
        <translation>ÉCHEC de la vérification : l’échange a été falsifié</translation>
    </message>
    <message>
        <location filename="../events.py" line="68"/>
        <source>verification was cancelled</source>
        <translation>la vérification a été annulée</translation>
    </message>
    <message>
        <location filename="../events.py" line="89"/>
        <source>A new message arrived.</source>
        <translation>Un nouveau message est arrivé.</translation>
    </message>
    <message>
        <location filename="../events.py" line="138"/>
        <source>that message was NOT encrypted: others could read or change it</source>
        <translation>ce message n’était PAS chiffré : d’autres ont pu le lire ou le modifier</translation>
    </message>
    <message>
        <location filename="../events.py" line="149"/>
        <source>conversation is now {state}</source>
        <translation>la conversation est maintenant {state}</translation>
    </message>
    <message>
        <location filename="../events.py" line="153"/>
        <source>no private session ({reason}): pending messages stay unsent</source>
        <translation>pas de session privée ({reason}) : les messages en attente ne sont pas envoyés</translation>
    </message>
    <message>
        <location filename="../events.py" line="161"/>
        <source>{contact} asks you to verify (SMP)</source>
        <translation>{contact} vous demande une vérification (SMP)</translation>
    </message>
    <message>
        <location filename="../events.py" line="170"/>
        <source>their key is NO LONGER VERIFIED: a failed check may mean someone in the middle</source>
        <translation>sa clé N’EST PLUS VÉRIFIÉE : un échec peut signaler quelqu’un au milieu</translation>
    </message>
    <message>
        <location filename="../events.py" line="175"/>
        <source>key {fingerprint} is now {trust}</source>
        <translation>la clé {fingerprint} est maintenant {trust}</translation>
    </message>
    <message>
        <location filename="../events.py" line="181"/>
        <source>WARNING: {contact} presents a NEW KEY {fingerprint}</source>
        <translation>ATTENTION : {contact} présente une NOUVELLE CLÉ {fingerprint}</translation>
    </message>
    <message>
        <location filename="../events.py" line="206"/>
        <source>Tor failed: {message}</source>
        <translation>Échec de Tor : {message}</translation>
    </message>
    <message>
        <location filename="../profile.py" line="28"/>
        <source>too short</source>
        <translation>trop court</translation>
    </message>
    <message>
        <location filename="../profile.py" line="29"/>
        <source>weak</source>
        <translation>faible</translation>
    </message>
    <message>
        <location filename="../profile.py" line="30"/>
        <source>fair</source>
        <translation>moyen</translation>
    </message>
    <message>
        <location filename="../profile.py" line="31"/>
        <source>good</source>
        <translation>bon</translation>
    </message>
    <message>
        <location filename="../profile.py" line="32"/>
        <source>strong</source>
        <translation>fort</translation>
    </message>
    <message>
        <location filename="../profile.py" line="43"/>
        <source>TIMB: create a profile</source>
        <translation>TIMB : créer un profil</translation>
    </message>
    <message>
        <location filename="../profile.py" line="43"/>
        <source>TIMB: unlock</source>
        <translation>TIMB : déverrouiller</translation>
    </message>
    <message>
        <location filename="../profile.py" line="45"/>
        <source>Passphrase</source>
        <translation>Phrase secrète</translation>
    </message>
    <message>
        <location filename="../profile.py" line="45"/>
        <source>The passphrase that encrypts your profile</source>
        <translation>La phrase secrète qui chiffre votre profil</translation>
    </message>
    <message>
        <location filename="../profile.py" line="47"/>
        <source>Passphrase again</source>
        <translation>Phrase secrète (confirmation)</translation>
    </message>
    <message>
        <location filename="../profile.py" line="47"/>
        <source>Type the same passphrase once more</source>
        <translation>Tapez la même phrase secrète une seconde fois</translation>
    </message>
    <message>
        <location filename="../profile.py" line="50"/>
        <source>Passphrase strength</source>
        <translation>Solidité de la phrase secrète</translation>
    </message>
    <message>
        <location filename="../profile.py" line="51"/>
        <source>A rough estimate; five random words are strong</source>
        <translation>Une estimation grossière ; cinq mots au hasard sont solides</translation>
    </message>
    <message>
        <location filename="../profile.py" line="61"/>
        <source>Create profile</source>
        <translation>Créer le profil</translation>
    </message>
    <message>
        <location filename="../profile.py" line="61"/>
        <source>Unlock</source>
        <translation>Déverrouiller</translation>
    </message>
    <message>
        <location filename="../profile.py" line="62"/>
        <source>Open the profile with this passphrase</source>
        <translation>Ouvrir le profil avec cette phrase secrète</translation>
    </message>
    <message>
        <location filename="../profile.py" line="65"/>
        <source>&amp;Passphrase:</source>
        <translation>&amp;Phrase secrète :</translation>
    </message>
    <message>
        <location filename="../profile.py" line="67"/>
        <source>Choose a passphrase of at least {n} characters. It cannot be recovered.</source>
        <translation>Choisissez une phrase secrète d’au moins {n} caractères. Elle ne peut pas être récupérée.</translation>
    </message>
    <message>
        <location filename="../profile.py" line="68"/>
        <source>&amp;Again:</source>
        <translation>&amp;Confirmation :</translation>
    </message>
    <message>
        <location filename="../profile.py" line="69"/>
        <source>Strength:</source>
        <translation>Solidité :</translation>
    </message>
    <message>
        <location filename="../profile.py" line="73"/>
        <source>Type the passphrase of your profile.</source>
        <translation>Tapez la phrase secrète de votre profil.</translation>
    </message>
    <message>
        <location filename="../profile.py" line="92"/>
        <source>Strength (rough estimate): {label}</source>
        <translation>Solidité (estimation grossière) : {label}</translation>
    </message>
    <message>
        <location filename="../profile.py" line="94"/>
        <source>— five or more random words are better</source>
        <translation>— cinq mots au hasard ou plus, c’est mieux</translation>
    </message>
    <message>
        <location filename="../profile.py" line="101"/>
        <source>Use at least {n} characters.</source>
        <translation>Utilisez au moins {n} caractères.</translation>
    </message>
    <message>
        <location filename="../profile.py" line="104"/>
        <source>The two passphrases differ.</source>
        <translation>Les deux phrases secrètes diffèrent.</translation>
    </message>
    <message>
        <location filename="../profile.py" line="107"/>
        <source>Type your passphrase.</source>
        <translation>Tapez votre phrase secrète.</translation>
    </message>
    <message>
        <location filename="../profile.py" line="113"/>
        <source>Creating (this takes a moment)…</source>
        <translation>Création (cela prend un moment)…</translation>
    </message>
    <message>
        <location filename="../profile.py" line="113"/>
        <source>Unlocking…</source>
        <translation>Déverrouillage…</translation>
    </message>
    <message>
        <location filename="../settings.py" line="30"/>
        <source>managed: TIMB runs its own tor</source>
        <translation>géré : TIMB lance son propre tor</translation>
    </message>
    <message>
        <location filename="../settings.py" line="32"/>
        <source>attached to the tor at control port {port}</source>
        <translation>relié au tor du port de contrôle {port}</translation>
    </message>
    <message>
        <location filename="../settings.py" line="34"/>
        <source>not configured: accounts cannot connect</source>
        <translation>non configuré : les comptes ne peuvent pas se connecter</translation>
    </message>
    <message>
        <location filename="../settings.py" line="36"/>
        <source>(private test network)</source>
        <translation>(réseau de test privé)</translation>
    </message>
    <message>
        <location filename="../settings.py" line="48"/>
        <source>Settings</source>
        <translation>Réglages</translation>
    </message>
    <message>
        <location filename="../settings.py" line="51"/>
        <source>Keep &amp;history (encrypted in the profile)</source>
        <translation>Garder l’&amp;historique (chiffré dans le profil)</translation>
    </message>
    <message>
        <location filename="../settings.py" line="52"/>
        <source>Keep history</source>
        <translation>Garder l’historique</translation>
    </message>
    <message>
        <location filename="../settings.py" line="53"/>
        <source>Off by default: conversations are forgotten when TIMB closes</source>
        <translation>Désactivé par défaut : les conversations sont oubliées à la fermeture de TIMB</translation>
    </message>
    <message>
        <location filename="../settings.py" line="58"/>
        <source>Default encryption policy</source>
        <translation>Politique de chiffrement par défaut</translation>
    </message>
    <message>
        <location filename="../settings.py" line="65"/>
        <source>&amp;Connect every account at unlock</source>
        <translation>&amp;Connecter tous les comptes au déverrouillage</translation>
    </message>
    <message>
        <location filename="../settings.py" line="66"/>
        <source>Connect at unlock</source>
        <translation>Connecter au déverrouillage</translation>
    </message>
    <message>
        <location filename="../settings.py" line="67"/>
        <source>Connect all accounts through Tor as soon as the profile is unlocked</source>
        <translation>Connecter tous les comptes par Tor dès que le profil est déverrouillé</translation>
    </message>
    <message>
        <location filename="../settings.py" line="74"/>
        <source>Show message &amp;text in notifications</source>
        <translation>Afficher le &amp;texte des messages dans les notifications</translation>
    </message>
    <message>
        <location filename="../settings.py" line="75"/>
        <source>Message text in notifications</source>
        <translation>Texte des messages dans les notifications</translation>
    </message>
    <message>
        <location filename="../settings.py" line="76"/>
        <source>Off: notifications are read by other software, so they only say a message arrived</source>
        <translation>Désactivé : d’autres logiciels lisent les notifications, elles disent donc seulement qu’un message est arrivé</translation>
    </message>
    <message>
        <location filename="../settings.py" line="80"/>
        <source>General</source>
        <translation>Général</translation>
    </message>
    <message>
        <location filename="../settings.py" line="83"/>
        <source>Default &amp;encryption:</source>
        <translation>&amp;Chiffrement par défaut :</translation>
    </message>
    <message>
        <location filename="../settings.py" line="86"/>
        <source>Tor:</source>
        <translation>Tor :</translation>
    </message>
    <message>
        <location filename="../settings.py" line="87"/>
        <source>How Tor is reached is chosen when TIMB starts (timb gui --help).</source>
        <translation>La façon de joindre Tor se choisit au démarrage de TIMB (timb gui --help).</translation>
    </message>
    <message>
        <location filename="../settings.py" line="91"/>
        <source>Close the settings</source>
        <translation>Fermer les réglages</translation>
    </message>
    <message>
        <location filename="../settings.py" line="96"/>
        <source>One contact</source>
        <translation>Un contact</translation>
    </message>
    <message>
        <location filename="../settings.py" line="97"/>
        <source>Contact</source>
        <translation>Contact</translation>
    </message>
    <message>
        <location filename="../settings.py" line="97"/>
        <source>The contact whose settings are below</source>
        <translation>Le contact dont les réglages sont ci-dessous</translation>
    </message>
    <message>
        <location filename="../settings.py" line="111"/>
        <location filename="../settings.py" line="112"/>
        <source>Keep history of this conversation</source>
        <translation>Garder l’historique de cette conversation</translation>
    </message>
    <message>
        <location filename="../settings.py" line="113"/>
        <source>Off unless you turn it on</source>
        <translation>Désactivé sauf si vous l’activez</translation>
    </message>
    <message>
        <location filename="../settings.py" line="115"/>
        <source>&amp;Save for this contact</source>
        <translation>&amp;Enregistrer pour ce contact</translation>
    </message>
    <message>
        <location filename="../settings.py" line="115"/>
        <source>Save for this contact</source>
        <translation>Enregistrer pour ce contact</translation>
    </message>
    <message>
        <location filename="../settings.py" line="115"/>
        <source>Apply</source>
        <translation>Appliquer</translation>
    </message>
    <message>
        <location filename="../settings.py" line="119"/>
        <source>C&amp;ontact:</source>
        <translation>C&amp;ontact :</translation>
    </message>
    <message>
        <location filename="../settings.py" line="120"/>
        <source>Encr&amp;yption:</source>
        <translation>Chi&amp;ffrement :</translation>
    </message>
    <message>
        <location filename="../onion.py" line="42"/>
        <location filename="../onion.py" line="88"/>
        <location filename="../sidebar.py" line="22"/>
        <source>offline</source>
        <translation>hors ligne</translation>
    </message>
    <message>
        <location filename="../onion.py" line="42"/>
        <source>online</source>
        <translation>en ligne</translation>
    </message>
    <message>
        <location filename="../onion.py" line="43"/>
        <source>asked: waiting for their answer</source>
        <translation>demandé : en attente de sa réponse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="44"/>
        <source>asks to be your contact: Enter to answer</source>
        <translation>demande à être votre contact : Entrée pour répondre</translation>
    </message>
    <message>
        <location filename="../onion.py" line="46"/>
        <source>refused your request</source>
        <translation>a refusé votre demande</translation>
    </message>
    <message>
        <location filename="../onion.py" line="49"/>
        <source>{words}, address not verified</source>
        <translation>{words}, adresse non vérifiée</translation>
    </message>
    <message>
        <location filename="../onion.py" line="63"/>
        <source>Onion identities and contacts</source>
        <translation>Identités et contacts onion</translation>
    </message>
    <message>
        <location filename="../onion.py" line="64"/>
        <source>Enter on an identity shows its address and adds contacts; on a contact opens the chat</source>
        <translation>Entrée sur une identité montre son adresse et ajoute des contacts ; sur un contact, ouvre la discussion</translation>
    </message>
    <message>
        <location filename="../onion.py" line="69"/>
        <location filename="../onion.py" line="125"/>
        <source>New onion identity</source>
        <translation>Nouvelle identité onion</translation>
    </message>
    <message>
        <location filename="../onion.py" line="70"/>
        <source>A new address of your own, with no server</source>
        <translation>Une nouvelle adresse à vous, sans serveur</translation>
    </message>
    <message>
        <location filename="../onion.py" line="72"/>
        <source>On&amp;ion (serverless)</source>
        <translation>On&amp;ion (sans serveur)</translation>
    </message>
    <message>
        <location filename="../onion.py" line="88"/>
        <source>online: anyone with the address sees it</source>
        <translation>en ligne : quiconque a l’adresse le voit</translation>
    </message>
    <message>
        <location filename="../onion.py" line="90"/>
        <source>{identity} ({online}): Enter shows your address {address}</source>
        <translation>{identity} ({online}) : Entrée montre votre adresse {address}</translation>
    </message>
    <message>
        <location filename="../onion.py" line="97"/>
        <source>    {contact} ({status})</source>
        <translation>    {contact} ({status})</translation>
    </message>
    <message>
        <location filename="../onion.py" line="102"/>
        <source>No onion identity yet: New onion identity makes one.</source>
        <translation>Pas encore d’identité onion : Nouvelle identité onion en crée une.</translation>
    </message>
    <message>
        <location filename="../onion.py" line="127"/>
        <source>Identity name</source>
        <translation>Nom de l’identité</translation>
    </message>
    <message>
        <location filename="../onion.py" line="127"/>
        <source>Only for you: 1 to 32 of a-z, 0-9, - and _</source>
        <translation>Pour vous seul : 1 à 32 caractères parmi a-z, 0-9, - et _</translation>
    </message>
    <message>
        <location filename="../onion.py" line="130"/>
        <source>Nickname</source>
        <translation>Pseudonyme</translation>
    </message>
    <message>
        <location filename="../onion.py" line="130"/>
        <source>Optional; sent with your contact requests</source>
        <translation>Facultatif ; envoyé avec vos demandes de contact</translation>
    </message>
    <message>
        <location filename="../onion.py" line="133"/>
        <source>&amp;Burner: delete it with its key after</source>
        <translation>&amp;Jetable : la supprimer avec sa clé après</translation>
    </message>
    <message>
        <location filename="../onion.py" line="134"/>
        <source>Burner identity</source>
        <translation>Identité jetable</translation>
    </message>
    <message>
        <location filename="../onion.py" line="135"/>
        <source>Once the time has passed the identity goes offline and is deleted with its key</source>
        <translation>Une fois le temps écoulé, l’identité passe hors ligne et est supprimée avec sa clé</translation>
    </message>
    <message>
        <location filename="../onion.py" line="137"/>
        <source>Hours</source>
        <translation>Heures</translation>
    </message>
    <message>
        <location filename="../onion.py" line="137"/>
        <source>How many hours the burner lives</source>
        <translation>Combien d’heures vit l’identité jetable</translation>
    </message>
    <message>
        <location filename="../onion.py" line="140"/>
        <source> hours</source>
        <translation> heures</translation>
    </message>
    <message>
        <location filename="../onion.py" line="143"/>
        <source>&amp;Create</source>
        <translation>&amp;Créer</translation>
    </message>
    <message>
        <location filename="../onion.py" line="143"/>
        <source>Create</source>
        <translation>Créer</translation>
    </message>
    <message>
        <location filename="../onion.py" line="143"/>
        <source>Make the new identity</source>
        <translation>Créer la nouvelle identité</translation>
    </message>
    <message>
        <location filename="../onion.py" line="146"/>
        <source>Close without creating</source>
        <translation>Fermer sans créer</translation>
    </message>
    <message>
        <location filename="../onion.py" line="149"/>
        <source>&amp;Name:</source>
        <translation>&amp;Nom :</translation>
    </message>
    <message>
        <location filename="../onion.py" line="150"/>
        <source>Nic&amp;kname:</source>
        <translation>&amp;Pseudonyme :</translation>
    </message>
    <message>
        <location filename="../onion.py" line="186"/>
        <source>Onion identity {identity}</source>
        <translation>Identité onion {identity}</translation>
    </message>
    <message>
        <location filename="../onion.py" line="189"/>
        <source>Your address</source>
        <translation>Votre adresse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="190"/>
        <source>Give it to your contacts over a safe channel</source>
        <translation>Donnez-la à vos contacts par un moyen sûr</translation>
    </message>
    <message>
        <location filename="../onion.py" line="193"/>
        <source>C&amp;opy address</source>
        <translation>C&amp;opier l’adresse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="193"/>
        <source>Copy address</source>
        <translation>Copier l’adresse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="193"/>
        <source>Copy your address</source>
        <translation>Copier votre adresse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="196"/>
        <source>Online or offline</source>
        <translation>En ligne ou hors ligne</translation>
    </message>
    <message>
        <location filename="../onion.py" line="196"/>
        <source>Publish or remove your address</source>
        <translation>Publier ou retirer votre adresse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="200"/>
        <source>Their address</source>
        <translation>Son adresse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="200"/>
        <source>The ricochet: address they gave you; it is their key</source>
        <translation>L’adresse ricochet: que l’on vous a donnée ; c’est sa clé</translation>
    </message>
    <message>
        <location filename="../onion.py" line="202"/>
        <source>ricochet:…</source>
        <translation>ricochet:…</translation>
    </message>
    <message>
        <location filename="../onion.py" line="203"/>
        <source>Optional; sent with the request</source>
        <translation>Facultatif ; envoyé avec la demande</translation>
    </message>
    <message>
        <location filename="../onion.py" line="205"/>
        <source>&amp;Ask to become contacts</source>
        <translation>&amp;Demander à devenir contacts</translation>
    </message>
    <message>
        <location filename="../onion.py" line="205"/>
        <source>Add contact</source>
        <translation>Ajouter le contact</translation>
    </message>
    <message>
        <location filename="../onion.py" line="205"/>
        <source>Send the request</source>
        <translation>Envoyer la demande</translation>
    </message>
    <message>
        <location filename="../onion.py" line="213"/>
        <source>&amp;Delete this identity…</source>
        <translation>&amp;Supprimer cette identité…</translation>
    </message>
    <message>
        <location filename="../onion.py" line="214"/>
        <source>Delete this identity</source>
        <translation>Supprimer cette identité</translation>
    </message>
    <message>
        <location filename="../onion.py" line="215"/>
        <source>Its key is deleted: nobody can reach this address again</source>
        <translation>Sa clé est supprimée : personne ne pourra plus joindre cette adresse</translation>
    </message>
    <message>
        <location filename="../onion.py" line="222"/>
        <source>Their a&amp;ddress:</source>
        <translation>Son a&amp;dresse :</translation>
    </message>
    <message>
        <location filename="../onion.py" line="223"/>
        <source>&amp;Message:</source>
        <translation>&amp;Message :</translation>
    </message>
    <message>
        <location filename="../onion.py" line="231"/>
        <source>A burner: it is deleted with its key when its time is up.</source>
        <translation>Jetable : elle est supprimée avec sa clé quand son temps est écoulé.</translation>
    </message>
    <message>
        <location filename="../onion.py" line="241"/>
        <source>Go &amp;offline (online now: anyone with the address sees it)</source>
        <translation>Passer &amp;hors ligne (en ligne : quiconque a l’adresse le voit)</translation>
    </message>
    <message>
        <location filename="../onion.py" line="241"/>
        <source>Go &amp;online</source>
        <translation>Passer en &amp;ligne</translation>
    </message>
    <message>
        <location filename="../onion.py" line="246"/>
        <source>Address copied.</source>
        <translation>Adresse copiée.</translation>
    </message>
    <message>
        <location filename="../onion.py" line="251"/>
        <source>Publishing your address…</source>
        <translation>Publication de votre adresse…</translation>
    </message>
    <message>
        <location filename="../onion.py" line="251"/>
        <source>Going offline…</source>
        <translation>Passage hors ligne…</translation>
    </message>
    <message>
        <location filename="../onion.py" line="262"/>
        <source>Type their ricochet: address.</source>
        <translation>Tapez son adresse ricochet:.</translation>
    </message>
    <message>
        <location filename="../onion.py" line="270"/>
        <source>Asked {contact}.</source>
        <translation>Demande envoyée à {contact}.</translation>
    </message>
    <message>
        <location filename="../onion.py" line="278"/>
        <source>{contact} asks to become your contact (identity {identity}).</source>
        <translation>{contact} demande à devenir votre contact (identité {identity}).</translation>
    </message>
    <message>
        <location filename="../onion.py" line="282"/>
        <source>They call themselves: {nickname}</source>
        <translation>Se présente comme : {nickname}</translation>
    </message>
    <message>
        <location filename="../onion.py" line="284"/>
        <source>Their message: {message}</source>
        <translation>Son message : {message}</translation>
    </message>
    <message>
        <location filename="../onion.py" line="285"/>
        <source>Anyone can ask. Their address stays unverified until you compare it with them.</source>
        <translation>N’importe qui peut demander. Son adresse reste non vérifiée tant que vous ne l’avez pas comparée avec cette personne.</translation>
    </message>
    <message>
        <location filename="../onion.py" line="287"/>
        <source>Onion contact request</source>
        <translation>Demande de contact onion</translation>
    </message>
    <message>
        <location filename="../onion.py" line="290"/>
        <source>&amp;Accept</source>
        <translation>&amp;Accepter</translation>
    </message>
    <message>
        <location filename="../onion.py" line="290"/>
        <source>Become contacts (unverified)</source>
        <translation>Devenir contacts (non vérifié)</translation>
    </message>
    <message>
        <location filename="../onion.py" line="291"/>
        <source>&amp;Reject</source>
        <translation>&amp;Refuser</translation>
    </message>
    <message>
        <location filename="../onion.py" line="292"/>
        <source>Refuse now and later</source>
        <translation>Refuser maintenant et à l’avenir</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="23"/>
        <source>available</source>
        <translation>disponible</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="24"/>
        <source>away</source>
        <translation>absent</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="25"/>
        <source>free to chat</source>
        <translation>disponible pour discuter</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="26"/>
        <source>do not disturb</source>
        <translation>ne pas déranger</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="27"/>
        <source>away for long</source>
        <translation>absent pour longtemps</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="35"/>
        <source>Tor progress</source>
        <translation>Progression de Tor</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="35"/>
        <source>How far Tor has come in connecting</source>
        <translation>Où en est la connexion de Tor</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="37"/>
        <source>Tor: {how}</source>
        <translation>Tor : {how}</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="47"/>
        <source>Tor: connected ({how})</source>
        <translation>Tor : connecté ({how})</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="49"/>
        <source>Tor: {summary} ({progress}%)</source>
        <translation>Tor : {summary} ({progress} %)</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="57"/>
        <source>Tor FAILED: {message}</source>
        <translation>ÉCHEC de Tor : {message}</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="68"/>
        <source>Contacts</source>
        <translation>Contacts</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="68"/>
        <source>Enter opens the conversation with the selected contact</source>
        <translation>Entrée ouvre la conversation avec le contact choisi</translation>
    </message>
    <message>
        <location filename="../onion.py" line="45"/>
        <location filename="../sidebar.py" line="126"/>
        <source>blocked</source>
        <translation>bloqué</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="127"/>
        <source>{contact} ({presence})</source>
        <translation>{contact} ({presence})</translation>
    </message>
    <message>
        <location filename="../onion.py" line="99"/>
        <location filename="../sidebar.py" line="129"/>
        <source>{text} — new message</source>
        <translation>{text} — nouveau message</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="131"/>
        <source>account {account}</source>
        <translation>compte {account}</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="146"/>
        <source>No account yet: Accounts (F2) adds one.</source>
        <translation>Aucun compte pour l’instant : Comptes (F2) en ajoute un.</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="150"/>
        <source>{account} ({jid}): {state}</source>
        <translation>{account} ({jid}) : {state}</translation>
    </message>
    <message>
        <location filename="../verify.py" line="89"/>
        <source>Verify {contact}</source>
        <translation>Vérifier {contact}</translation>
    </message>
    <message>
        <location filename="../verify.py" line="90"/>
        <source>Your fingerprint:</source>
        <translation>Votre empreinte :</translation>
    </message>
    <message>
        <location filename="../verify.py" line="91"/>
        <source>Your fingerprint</source>
        <translation>Votre empreinte</translation>
    </message>
    <message>
        <location filename="../verify.py" line="93"/>
        <source>{contact}&apos;s fingerprint (this session):</source>
        <translation>Empreinte de {contact} (cette session) :</translation>
    </message>
    <message>
        <location filename="../verify.py" line="95"/>
        <source>No private session: start one first.</source>
        <translation>Pas de session privée : ouvrez-en une d’abord.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="97"/>
        <source>Their fingerprint</source>
        <translation>Son empreinte</translation>
    </message>
    <message>
        <location filename="../verify.py" line="100"/>
        <source>Already verified.</source>
        <translation>Déjà vérifiée.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="103"/>
        <source>Compare both over another channel (in person, by phone). Mark verified only if they match.</source>
        <translation>Comparez les deux par un autre canal (en personne, par téléphone). Ne marquez comme vérifiée que si elles concordent.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="106"/>
        <source>They &amp;match</source>
        <translation>Elles &amp;concordent</translation>
    </message>
    <message>
        <location filename="../verify.py" line="106"/>
        <source>Mark their key verified</source>
        <translation>Marquer sa clé comme vérifiée</translation>
    </message>
    <message>
        <location filename="../verify.py" line="107"/>
        <source>Ask a &amp;question (SMP)</source>
        <translation>Poser une &amp;question (SMP)</translation>
    </message>
    <message>
        <location filename="../verify.py" line="107"/>
        <source>Verify with a secret only they know</source>
        <translation>Vérifier par un secret que seul votre contact connaît</translation>
    </message>
    <message>
        <location filename="../verify.py" line="108"/>
        <source>&amp;Close</source>
        <translation>&amp;Fermer</translation>
    </message>
    <message>
        <location filename="../verify.py" line="108"/>
        <source>Close without changing anything</source>
        <translation>Fermer sans rien changer</translation>
    </message>
    <message>
        <location filename="../verify.py" line="125"/>
        <source>Verify {contact} with a secret (SMP)</source>
        <translation>Vérifier {contact} par un secret (SMP)</translation>
    </message>
    <message>
        <location filename="../verify.py" line="128"/>
        <source>Ask a question only they can answer, or leave it empty to use a secret you agreed on before. Answers must match exactly.</source>
        <translation>Posez une question à laquelle seul votre contact peut répondre, ou laissez-la vide pour utiliser un secret convenu à l’avance. Les réponses doivent être identiques.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="133"/>
        <source>Question (optional)</source>
        <translation>Question (facultative)</translation>
    </message>
    <message>
        <location filename="../verify.py" line="133"/>
        <source>A question only they can answer</source>
        <translation>Une question à laquelle seul votre contact peut répondre</translation>
    </message>
    <message>
        <location filename="../verify.py" line="135"/>
        <source>question (optional)</source>
        <translation>question (facultative)</translation>
    </message>
    <message>
        <location filename="../verify.py" line="136"/>
        <source>Answer or shared secret</source>
        <translation>Réponse ou secret partagé</translation>
    </message>
    <message>
        <location filename="../verify.py" line="136"/>
        <source>Never sent: only compared</source>
        <translation>Jamais envoyé : seulement comparé</translation>
    </message>
    <message>
        <location filename="../verify.py" line="138"/>
        <source>answer / shared secret</source>
        <translation>réponse / secret partagé</translation>
    </message>
    <message>
        <location filename="../verify.py" line="142"/>
        <source>&amp;Start</source>
        <translation>&amp;Démarrer</translation>
    </message>
    <message>
        <location filename="../verify.py" line="142"/>
        <source>Start the verification</source>
        <translation>Démarrer la vérification</translation>
    </message>
    <message>
        <location filename="../verify.py" line="143"/>
        <source>Do not verify now</source>
        <translation>Ne pas vérifier maintenant</translation>
    </message>
    <message>
        <location filename="../verify.py" line="152"/>
        <source>Type the answer or the shared secret.</source>
        <translation>Tapez la réponse ou le secret partagé.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="168"/>
        <source>{contact} wants to verify you</source>
        <translation>{contact} veut vous vérifier</translation>
    </message>
    <message>
        <location filename="../verify.py" line="172"/>
        <source>Their question:</source>
        <translation>Sa question :</translation>
    </message>
    <message>
        <location filename="../verify.py" line="175"/>
        <source>Type the secret you agreed on.</source>
        <translation>Tapez le secret convenu.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="176"/>
        <source>Your answer</source>
        <translation>Votre réponse</translation>
    </message>
    <message>
        <location filename="../verify.py" line="176"/>
        <source>Compared, never sent</source>
        <translation>Comparée, jamais envoyée</translation>
    </message>
    <message>
        <location filename="../verify.py" line="180"/>
        <source>&amp;Answer</source>
        <translation>&amp;Répondre</translation>
    </message>
    <message>
        <location filename="../verify.py" line="180"/>
        <source>Send proof of your answer</source>
        <translation>Envoyer la preuve de votre réponse</translation>
    </message>
    <message>
        <location filename="../verify.py" line="181"/>
        <source>&amp;Refuse</source>
        <translation>Re&amp;fuser</translation>
    </message>
    <message>
        <location filename="../verify.py" line="181"/>
        <source>Refuse to answer</source>
        <translation>Refuser de répondre</translation>
    </message>
    <message>
        <location filename="../verify.py" line="190"/>
        <source>Type your answer, or Refuse.</source>
        <translation>Tapez votre réponse, ou Refuser.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="218"/>
        <source>WARNING: new key</source>
        <translation>ATTENTION : nouvelle clé</translation>
    </message>
    <message>
        <location filename="../verify.py" line="223"/>
        <source>WARNING: {contact} HAS A NEW KEY</source>
        <translation>ATTENTION : {contact} A UNE NOUVELLE CLÉ</translation>
    </message>
    <message>
        <location filename="../verify.py" line="226"/>
        <source>Either they reinstalled or changed device, or SOMEONE IS INTERCEPTING this conversation. Do not say anything sensitive until you have verified the new key with them over another channel.</source>
        <translation>Soit votre contact a réinstallé ou changé d’appareil, soit QUELQU’UN INTERCEPTE cette conversation. Ne dites rien de sensible avant d’avoir vérifié la nouvelle clé avec votre contact par un autre canal.</translation>
    </message>
    <message>
        <location filename="../verify.py" line="231"/>
        <source>Known key(s):</source>
        <translation>Clé(s) connue(s) :</translation>
    </message>
    <message>
        <location filename="../verify.py" line="233"/>
        <source>Known key</source>
        <translation>Clé connue</translation>
    </message>
    <message>
        <location filename="../verify.py" line="234"/>
        <source>New key:</source>
        <translation>Nouvelle clé :</translation>
    </message>
    <message>
        <location filename="../verify.py" line="235"/>
        <source>New key</source>
        <translation>Nouvelle clé</translation>
    </message>
    <message>
        <location filename="../verify.py" line="237"/>
        <source>&amp;Verify now</source>
        <translation>&amp;Vérifier maintenant</translation>
    </message>
    <message>
        <location filename="../verify.py" line="237"/>
        <source>Compare the new key with them</source>
        <translation>Comparer la nouvelle clé avec votre contact</translation>
    </message>
    <message>
        <location filename="../verify.py" line="238"/>
        <source>I &amp;understand</source>
        <translation>J’ai &amp;compris</translation>
    </message>
    <message>
        <location filename="../verify.py" line="238"/>
        <source>Keep the new key unverified for now</source>
        <translation>Garder la nouvelle clé non vérifiée pour l’instant</translation>
    </message>
    <message>
        <location filename="../window.py" line="57"/>
        <source>Conversations</source>
        <translation>Conversations</translation>
    </message>
    <message>
        <location filename="../window.py" line="57"/>
        <source>One tab per open conversation</source>
        <translation>Un onglet par conversation ouverte</translation>
    </message>
    <message>
        <location filename="../window.py" line="61"/>
        <source>Pick a contact on the left (or add one: Ctrl+N) to start.</source>
        <translation>Choisissez un contact à gauche (ou ajoutez-en un : Ctrl+N) pour commencer.</translation>
    </message>
    <message>
        <location filename="../window.py" line="151"/>
        <source>An onion chat needs no OTR: the onion itself makes it private.</source>
        <translation>Une discussion onion n’a pas besoin d’OTR : l’onion lui-même la rend privée.</translation>
    </message>
    <message>
        <location filename="../window.py" line="153"/>
        <source>A channel is never private: OTR is for one-to-one conversations.</source>
        <translation>Un salon n&apos;est jamais privé : OTR sert aux conversations à deux.</translation>
    </message>
    <message>
        <location filename="../window.py" line="155"/>
        <source>Open a conversation first (pick a contact on the left).</source>
        <translation>Ouvrez d’abord une conversation (choisissez un contact à gauche).</translation>
    </message>
    <message>
        <location filename="../held.py" line="29"/>
        <source>WARNING: messages held</source>
        <translation>ATTENTION : messages retenus</translation>
    </message>
    <message>
        <location filename="../held.py" line="35"/>
        <source>{count} message(s) you wrote to {contact} were NOT sent: their key changed.</source>
        <translation>{count} message(s) écrit(s) à {contact} n’ont PAS été envoyés : sa clé a changé.</translation>
    </message>
    <message>
        <location filename="../held.py" line="42"/>
        <source>Either they have a new key, or SOMEONE IS IN THE MIDDLE. Send them only if you have verified the new key with them over another channel.</source>
        <translation>Soit cette personne a une nouvelle clé, soit QUELQU’UN S’EST INTERPOSÉ. Ne les envoyez que si vous avez vérifié la nouvelle clé avec elle par un autre moyen.</translation>
    </message>
    <message>
        <location filename="../held.py" line="46"/>
        <source>Written for the key(s):</source>
        <translation>Écrits pour la ou les clé(s) :</translation>
    </message>
    <message>
        <location filename="../held.py" line="49"/>
        <source>Key they were written for</source>
        <translation>Clé pour laquelle ils ont été écrits</translation>
    </message>
    <message>
        <location filename="../held.py" line="51"/>
        <source>Their private session now has the key:</source>
        <translation>Sa session privée a maintenant la clé :</translation>
    </message>
    <message>
        <location filename="../held.py" line="52"/>
        <source>The new key</source>
        <translation>La nouvelle clé</translation>
    </message>
    <message>
        <location filename="../held.py" line="55"/>
        <source>&amp;Send them to the new key</source>
        <translation>&amp;Les envoyer à la nouvelle clé</translation>
    </message>
    <message>
        <location filename="../held.py" line="55"/>
        <source>Send the held messages to this key</source>
        <translation>Envoyer les messages retenus à cette clé</translation>
    </message>
    <message>
        <location filename="../held.py" line="57"/>
        <source>&amp;Discard them</source>
        <translation>Les &amp;jeter</translation>
    </message>
    <message>
        <location filename="../held.py" line="57"/>
        <source>Never send the held messages</source>
        <translation>Ne jamais envoyer les messages retenus</translation>
    </message>
    <message>
        <location filename="../held.py" line="59"/>
        <source>Decide &amp;later</source>
        <translation>Décider &amp;plus tard</translation>
    </message>
    <message>
        <location filename="../held.py" line="59"/>
        <source>Keep them held; Conversation &gt; Held messages asks again</source>
        <translation>Les garder retenus ; Conversation &gt; Messages retenus redemande</translation>
    </message>
    <message>
        <location filename="../held.py" line="81"/>
        <source>{count} message(s) HELD: written for another key, not sent</source>
        <translation>{count} message(s) RETENU(S) : écrit(s) pour une autre clé, non envoyé(s)</translation>
    </message>
    <message>
        <location filename="../held.py" line="99"/>
        <source>No messages are held for {contact}.</source>
        <translation>Aucun message n’est retenu pour {contact}.</translation>
    </message>
    <message>
        <location filename="../held.py" line="102"/>
        <source>{count} message(s) are held for {contact}: no private session now, so they wait.</source>
        <translation>{count} message(s) retenu(s) pour {contact} : pas de session privée pour l’instant, ils attendent.</translation>
    </message>
    <message>
        <location filename="../held.py" line="125"/>
        <source>held messages released to the key {fingerprint}</source>
        <translation>messages retenus envoyés à la clé {fingerprint}</translation>
    </message>
    <message>
        <location filename="../held.py" line="132"/>
        <source>held messages discarded: they will never be sent</source>
        <translation>messages retenus jetés : ils ne seront jamais envoyés</translation>
    </message>
    <message>
        <location filename="../held.py" line="135"/>
        <source>held messages wait for your decision: Conversation &gt; Held messages ({shortcut})</source>
        <translation>les messages retenus attendent votre décision : Conversation &gt; Messages retenus ({shortcut})</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="35"/>
        <source>waiting for {contact} to come online</source>
        <translation>en attente que {contact} soit en ligne</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="36"/>
        <source>sent, not yet acknowledged</source>
        <translation>envoyé, pas encore accusé</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="66"/>
        <source>I &amp;compared the address</source>
        <translation>J’ai &amp;comparé l’adresse</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="67"/>
        <location filename="../onion_flow.py" line="159"/>
        <source>Mark the address verified</source>
        <translation>Marquer l’adresse vérifiée</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="68"/>
        <source>Only once you compared this address with them over another channel</source>
        <translation>Seulement après avoir comparé cette adresse avec cette personne par un autre moyen</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="72"/>
        <source>&amp;Block…</source>
        <translation>&amp;Bloquer…</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="73"/>
        <source>Block this contact</source>
        <translation>Bloquer ce contact</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="74"/>
        <source>Refuse them now and later; their connection drops</source>
        <translation>Le refuser maintenant et à l’avenir ; sa connexion est coupée</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="112"/>
        <source>PRIVATE (ONION) VERIFIED</source>
        <translation>PRIVÉ (ONION) VÉRIFIÉ</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="115"/>
        <source>PRIVATE (ONION) UNVERIFIED</source>
        <translation>PRIVÉ (ONION) NON VÉRIFIÉ</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="121"/>
        <source>End-to-end private by the onion itself: Tor encrypts the connection between your onion service and theirs, no server sees it, and the address is their key. No OTR on top: Tor&apos;s protection is all there is.</source>
        <translation>Privé de bout en bout par l’onion lui-même : Tor chiffre la connexion entre votre service onion et le sien, aucun serveur ne la voit, et l’adresse est sa clé. Pas d’OTR en plus : la protection de Tor est la seule.</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="130"/>
        <source>{contact} is online</source>
        <translation>{contact} est en ligne</translation>
    </message>
    <message>
        <location filename="../onion_chat.py" line="132"/>
        <source>{contact} is offline: your messages wait until you are both online</source>
        <translation>{contact} est hors ligne : vos messages attendent que vous soyez tous deux en ligne</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="85"/>
        <source>Delete onion identity</source>
        <translation>Supprimer l’identité onion</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="87"/>
        <source>Delete {identity} with its key? Nobody can reach its address again, its contacts are forgotten and its waiting messages are not sent. This cannot be undone.</source>
        <translation>Supprimer {identity} avec sa clé ? Personne ne pourra plus joindre son adresse, ses contacts sont oubliés et ses messages en attente ne sont pas envoyés. C’est irréversible.</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="91"/>
        <source>&amp;Delete it</source>
        <translation>La &amp;supprimer</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="91"/>
        <source>Delete the identity and its key</source>
        <translation>Supprimer l’identité et sa clé</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="153"/>
        <source>Verify the address</source>
        <translation>Vérifier l’adresse</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="155"/>
        <source>Did you compare this address with {contact} over another channel (in person, by phone), character by character?
{address}</source>
        <translation>Avez-vous comparé cette adresse avec {contact} par un autre moyen (en personne, par téléphone), caractère par caractère ?
{address}</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="159"/>
        <source>&amp;Yes, it is the same</source>
        <translation>&amp;Oui, c’est la même</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="176"/>
        <source>Block contact</source>
        <translation>Bloquer le contact</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="178"/>
        <source>Block {contact}? They are refused now and later; your messages still waiting for them are not sent.</source>
        <translation>Bloquer {contact} ? Il est refusé maintenant et à l’avenir ; vos messages qui l’attendent encore ne sont pas envoyés.</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="182"/>
        <source>Refuse them now and later</source>
        <translation>Le refuser maintenant et à l’avenir</translation>
    </message>
    <message>
        <location filename="../onion_flow.py" line="248"/>
        <source>Onion identity {identity} expired: its key is gone.</source>
        <translation>L’identité onion {identity} a expiré : sa clé a disparu.</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="44"/>
        <source>IRC SASL key</source>
        <translation>Clé SASL IRC</translation>
    </message>
    <message>
        <location filename="../channels.py" line="227"/>
        <location filename="../irc_sasl.py" line="45"/>
        <source>IRC account</source>
        <translation>Compte IRC</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="45"/>
        <source>The IRC account whose key is shown</source>
        <translation>Le compte IRC dont la clé est affichée</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="49"/>
        <source>Public key</source>
        <translation>Clé publique</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="49"/>
        <source>The key&apos;s public part, as NickServ wants it</source>
        <translation>La partie publique de la clé, telle que NickServ la demande</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="51"/>
        <source>Command to register it</source>
        <translation>Commande pour l’enregistrer</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="51"/>
        <source>Send it once to NickServ while logged in by password</source>
        <translation>Envoyez-la une fois à NickServ en étant connecté par mot de passe</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="56"/>
        <source>&amp;Make a key</source>
        <translation>C&amp;réer une clé</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="57"/>
        <source>Make a key</source>
        <translation>Créer une clé</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="58"/>
        <source>A new key for this account: from the next connection it logs in with this key only</source>
        <translation>Une nouvelle clé pour ce compte : dès la prochaine connexion, il se connecte avec cette clé seulement</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="61"/>
        <source>&amp;Copy the command</source>
        <translation>Co&amp;pier la commande</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="62"/>
        <source>Copy the command</source>
        <translation>Copier la commande</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="63"/>
        <source>Copy the command to register the key (panic empties the clipboard)</source>
        <translation>Copier la commande qui enregistre la clé (la panique vide le presse-papiers)</translation>
    </message>
    <message>
        <location filename="../channels.py" line="268"/>
        <location filename="../irc_sasl.py" line="71"/>
        <source>&amp;Account:</source>
        <translation>&amp;Compte :</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="72"/>
        <source>Public &amp;key:</source>
        <translation>Clé pu&amp;blique :</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="73"/>
        <source>&amp;Register with:</source>
        <translation>&amp;Enregistrer avec :</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="110"/>
        <source>This account has no SASL key: it logs in by password (or not at all). A key logs in without sending a secret. Once made, the account logs in with the key only, from its next connection: register it with NickServ before reconnecting.</source>
        <translation>Ce compte n’a pas de clé SASL : il se connecte par mot de passe (ou sans s’identifier). Une clé identifie sans envoyer de secret. Une fois créée, le compte se connecte avec la clé seulement, dès sa prochaine connexion : enregistrez-la auprès de NickServ avant de vous reconnecter.</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="118"/>
        <source>This account logs in with SASL {mechanism} (a key made since it connected is used from its next connection). If the network does not know the key yet, register it once: while logged in by password, send the command above to NickServ (from TIMB&apos;s terminal UI or any IRC client).</source>
        <translation>Ce compte se connecte avec SASL {mechanism} (une clé créée depuis sa connexion sert dès la prochaine). Si le réseau ne connaît pas encore la clé, enregistrez-la une fois : connecté par mot de passe, envoyez la commande ci-dessus à NickServ (depuis l’interface terminal de TIMB ou tout client IRC).</translation>
    </message>
    <message>
        <location filename="../irc_sasl.py" line="143"/>
        <source>Command copied.</source>
        <translation>Commande copiée.</translation>
    </message>
</context>
</TS>
